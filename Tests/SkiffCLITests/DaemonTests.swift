import Glibc
import Testing

@testable import SkiffCLI

@Test func daemonAddresses() throws {
    #expect(try DaemonAddress(parsing: "unix:///tmp/x.sock") == .unix("/tmp/x.sock"))
    #expect(try DaemonAddress(parsing: "unix://") == .unix("/run/skiff/skiff.sock"))
    #expect(try DaemonAddress(parsing: "tcp://10.0.0.1:2376") == .tcp(host: "10.0.0.1", port: 2376))
    #expect(try DaemonAddress(parsing: "tcp://host") == .tcp(host: "host", port: 2375))
    #expect(try DaemonAddress(parsing: "tcp://[::1]:1234") == .tcp(host: "::1", port: 1234))
    #expect(throws: CLIError.self) { try DaemonAddress(parsing: "ssh://host") }
    #expect(DaemonAddress.default.description == "unix:///run/skiff/skiff.sock")
}

@Test func theDaemonIsFoundNextToSkiffFirst() throws {
    let root = "/tmp/skiff-cli-launcher-\(getpid())"
    for dir in ["bin", "path"] { FileSystem.makeDirectories(root + "/" + dir) }
    defer { _ = system("rm -rf '\(root)'") }
    func install(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        close(fd)
    }
    var launcher = DaemonLauncher(executable: root + "/bin/skiff", searchPath: root + "/path", execRoot: root + "/run")
    #expect(launcher.locate() == nil)
    install(root + "/path/skiffd")
    #expect(launcher.locate() == root + "/path/skiffd")
    install(root + "/bin/skiffd")
    #expect(launcher.locate() == root + "/bin/skiffd")
    launcher.executable = nil
    #expect(launcher.locate() == root + "/path/skiffd")
}

@Test func launchingWaitsForTheDaemonAndWritesItsLog() throws {
    let root = "/tmp/skiff-cli-launch-\(getpid())"
    FileSystem.makeDirectories(root + "/bin")
    defer { _ = system("rm -rf '\(root)'") }
    let script = "#!/bin/sh\necho started\ntouch \(root)/ready\nsleep 0.1\n"
    let fd = open(root + "/bin/skiffd", O_WRONLY | O_CREAT | O_TRUNC, 0o755)
    _ = script.withCString { write(fd, $0, strlen($0)) }
    close(fd)
    let launcher = DaemonLauncher(executable: root + "/bin/skiff", searchPath: "", execRoot: root + "/run", timeout: 5)
    try launcher.start { access(root + "/ready", F_OK) == 0 }
    usleep(200_000)
    let log = try FileSystem.read(root + "/run/skiffd.log")
    #expect(String(decoding: log, as: UTF8.self) == "started\n")
}

@Test func aDaemonThatExitsIsReported() throws {
    let root = "/tmp/skiff-cli-launch-fail-\(getpid())"
    FileSystem.makeDirectories(root + "/bin")
    defer { _ = system("rm -rf '\(root)'") }
    let fd = open(root + "/bin/skiffd", O_WRONLY | O_CREAT | O_TRUNC, 0o755)
    _ = "#!/bin/sh\nexit 1\n".withCString { write(fd, $0, strlen($0)) }
    close(fd)
    let launcher = DaemonLauncher(executable: root + "/bin/skiff", searchPath: "", execRoot: root + "/run", timeout: 5)
    #expect(throws: CLIError.self) { try launcher.start { false } }
}

@Test func connectionRefusedNamesTheDaemon() {
    let error = ConnectionError(host: "unix:///run/skiff/skiff.sock", errno: ECONNREFUSED)
    #expect(error.description == "Cannot connect to the skiff daemon at unix:///run/skiff/skiff.sock. Is the skiff daemon running?")
}
