import ArgumentParser

// `skiff compose`: `skiff` execs this with the rest of its command line.
ComposeCommand.main(ProjectOptions.parsed.rest)
