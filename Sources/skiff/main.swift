import Glibc
import SkiffCLI

exit(SkiffCLI.main(CommandLine.arguments))
