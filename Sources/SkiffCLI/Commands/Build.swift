import Glibc
import SkiffArchive

/// `skiff build`: the docker CLI's legacy builder client (`DOCKER_BUILDKIT=0 docker build`).
/// The context (a local directory, or a tar or a Dockerfile on stdin) is streamed as a tar to
/// `POST /build`, .dockerignore applied here, and the daemon's JSON messages are shown as they
/// come; the image id goes to stdout with `-q` and to `--iidfile`. A failed build exits with
/// the error's code (a failed RUN's exit status).
enum BuildCommand {
    static let spec = CommandSpec(
        name: "build", usage: "[OPTIONS] PATH | URL | -", summary: "Build an image from a Dockerfile",
        aliasPaths: ["skiff image build", "skiff build"],
        flags: [
            .list("add-host", .extraHost, "Add a custom host-to-IP mapping (\"host:ip\")"),
            .list("build-arg", .env, "Set build-time variables"),
            .list("cache-from", .stringSlice, "Images to consider as cache sources"),
            .value("cgroup-parent", .string, "Set the parent cgroup for the \"RUN\" instructions during build"),
            .bool("compress", "Compress the build context using gzip"),
            .value("cpu-period", .int64, "Limit the CPU CFS (Completely Fair Scheduler) period"),
            .value("cpu-quota", .int64, "Limit the CPU CFS (Completely Fair Scheduler) quota"),
            .value("cpu-shares", "c", .int64, "CPU shares (relative weight)"),
            .value("cpuset-cpus", .string, "CPUs in which to allow execution (0-3, 0,1)"),
            .value("cpuset-mems", .string, "MEMs in which to allow execution (0-3, 0,1)"),
            .bool("disable-content-trust", "Skip image verification", default: true),
            .value("file", "f", .string, "Name of the Dockerfile (Default is \"PATH/Dockerfile\")"),
            .bool("force-rm", "Always remove intermediate containers"),
            .value("iidfile", .string, "Write the image ID to the file"),
            .value("isolation", .string, "Container isolation technology"),
            .list("label", .label, "Set metadata for an image"),
            .value("memory", "m", .bytes, "Memory limit"),
            .value("memory-swap", .memSwap, "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
            .value("network", .string, "Set the networking mode for the RUN instructions during build", default: "\"default\""),
            .bool("no-cache", "Do not use cache when building the image"),
            .value("platform", .string, "Set platform if server is multi-platform capable"),
            .bool("pull", "Always attempt to pull a newer version of the image"),
            .bool("quiet", "q", "Suppress the build output and print image ID on success"),
            .bool("rm", "Remove intermediate containers after a successful build", default: true),
            .list("security-opt", .stringSlice, "Security options"),
            .value("shm-size", .bytes, "Size of \"/dev/shm\""),
            .bool("squash", "Squash newly built layers into a single new layer", hidden: true),
            .list("tag", "t", .imageTag, "Name and optionally a tag in the \"name:tag\" format"),
            .value("target", .string, "Set the target build stage to build."),
            .value("ulimit", .checkedUlimit, "Ulimit options", default: "[]"),
        ],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        if inv.flags.isSet("squash") { try requireExperimental(inv.client, flag: "--squash") }
        let contextArgument = inv.args[0]
        let dockerfileFlag = inv.flags.string("file") ?? ""
        var request = try BuildRequest(flags: inv.flags, environment: Environment.current())
        if dockerfileFlag == "-" && contextArgument == "-" {
            throw CLIError("invalid argument: can't use stdin for both build context and dockerfile")
        }
        // With -q, progress and output are kept and shown only if the build fails.
        let progressOutput = BuildOutput(fd: request.quiet ? nil : 1)
        let buildOutput = BuildOutput(fd: request.quiet ? nil : 1)
        let iidfile = inv.flags.string("iidfile") ?? ""
        if !iidfile.isEmpty, unlink(iidfile) != 0, errno != ENOENT {
            throw CLIError("Removing image ID file: remove \(iidfile): \(errnoText(errno))")
        }

        let context = try BuildContextSource.prepare(contextArgument, dockerfile: dockerfileFlag)
        request.dockerfile = context.dockerfile
        let progress = UploadProgress(output: progressOutput, showsUpdates: Terminal.isTerminal(1))
        let compress = inv.flags.bool("compress")
        let body = HTTPRequest.Body.produced(contentType: "application/x-tar") { writer in
            var sink = UploadSink(writer: writer, progress: progress)
            if compress {
                var gzip = try CompressingSink(sink, compression: .gzip)
                try context.source.write(to: &gzip)
            } else {
                try context.source.write(to: &sink)
            }
            progress.finish()
        }

        let response: HTTPResponse
        do {
            response = try inv.client.send(
                "POST", "/build", query: request.query, body: body, headers: [("X-Registry-Config", "e30=")])
        } catch {
            if request.quiet { Output.write(2, progressOutput.buffered) }
            throw error
        }
        let imageID = try show(response, to: buildOutput, quiet: request.quiet, progress: progressOutput)
        if !iidfile.isEmpty { try writeImageID(imageID, to: iidfile) }
    }

    /// Shows the daemon's messages; returns the image id (from the `aux` message, or with -q
    /// all that was shown, printed then). With -q, a failure shows everything kept first.
    static func show(_ response: HTTPResponse, to output: BuildOutput, quiet: Bool, progress: BuildOutput) throws -> String {
        var imageID = ""
        // On a terminal, each step's end (` ---> <id>`) shows how long the step took; piped
        // output stays byte for byte docker's.
        let timer = isatty(1) == 1 && !quiet ? StepTimer() : nil
        let stream = JSONMessageStream(write: { output.write(timer?.annotate($0) ?? $0) }, onAux: { aux in
            guard aux.object != nil else {
                return Output.write(2, "Failed to parse aux message: json: cannot unmarshal \(aux.goTypeName) into Go value of type build.Result")
            }
            imageID = aux["ID"]?.string ?? ""
        })
        do {
            try stream.display(response.body)
        } catch let failure as JSONMessageStream.Failure {
            if quiet { Output.write(2, progress.buffered + output.buffered) }
            throw CLIError(failure.message, status: Int32(truncatingIfNeeded: failure.code == 0 ? 1 : failure.code))
        }
        guard quiet else { return imageID }
        // The daemon's only output then is the image id (and its newline, which --iidfile
        // keeps). A daemon that sends it only as `aux` still gets it shown.
        let shown = output.buffered.isEmpty && !imageID.isEmpty ? imageID + "\n" : output.text
        Output.write(1, shown)
        return shown
    }

    /// --iidfile: the id, as docker writes it (0666 less the umask).
    static func writeImageID(_ imageID: String, to path: String) throws {
        if imageID.isEmpty { throw CLIError("Server did not provide an image ID. Cannot write \(path)") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw CLIError("open \(path): \(errnoText(errno))") }
        Output.write(fd, imageID)
        close(fd)
    }
}

extension BuildCommand {
    /// The docker CLI's check of flags marked experimental: the daemon must say it has
    /// experimental features (`Docker-Experimental: true` on /_ping).
    static func requireExperimental(_ client: APIClient, flag: String) throws {
        let response = try client.send("GET", "/_ping")
        _ = try? response.body.readAll()
        guard response.header("Docker-Experimental") == "true" else {
            throw CLIError("\(goQuote(flag)) is only supported on a skiff daemon with experimental features enabled")
        }
    }
}

extension JSON {
    /// The name Go's json package gives this kind of value in its type errors.
    var goTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Times build steps from the classic stream's text: a step starts at `Step N/M :` and ends
/// at its result line ` ---> <12 hex digits>`, which gets the time appended.
final class StepTimer {
    private var started: Double?

    func annotate(_ text: String) -> String {
        if text.hasPrefix("Step ") {
            started = Clock.monotonic()
            return text
        }
        guard let started, text.hasPrefix(" ---> "), text.hasSuffix("\n"), text.count == 19,
              text.dropFirst(6).dropLast().allSatisfy(\.isHexDigit) else { return text }
        self.started = nil
        let seconds = Clock.monotonic() - started
        let tenths = Int((seconds * 100).rounded())
        return String(text.dropLast()) + "  (\(tenths / 100).\(tenths % 100 < 10 ? "0" : "")\(tenths % 100)s)\n"
    }
}
