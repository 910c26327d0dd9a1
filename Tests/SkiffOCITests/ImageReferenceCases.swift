import SkiffOCI
import Testing

private let hex = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
private let hexUpper = hex.uppercased()

/// One row of Docker's behaviour. The expected values come from running
/// github.com/distribution/reference (ParseNormalizedNamed, String, FamiliarString,
/// TagNameOnly, Domain, Path) and were checked against `docker pull` of the docker
/// CLI 28.2.2 (which accepts or refuses each input with exactly these messages).
struct ReferenceCase: Sendable, CustomTestStringConvertible {
    var input: String
    var expected: Expected

    enum Expected: Sendable {
        /// `parsed`/`familiar`: the reference as written; `full`/`familiarFull`: after `withDefaultTag()`.
        case valid(parsed: String, familiar: String, full: String, familiarFull: String, registry: String, repository: String)
        /// Docker's error message.
        case invalid(String)
    }

    init(
        _ input: String, _ parsed: String, _ familiar: String, full: String, familiarFull: String, registry: String,
        repository: String
    ) {
        self.input = input
        self.expected = .valid(
            parsed: parsed, familiar: familiar, full: full, familiarFull: familiarFull, registry: registry,
            repository: repository)
    }

    init(_ input: String, error: String) {
        self.input = input
        self.expected = .invalid(error)
    }

    var testDescription: String { input.count > 60 ? "\(input.prefix(40))…(\(input.count))" : "\"\(input)\"" }
}

let dockerReferenceCases: [ReferenceCase] = [
        .init(
            "busybox", "docker.io/library/busybox", "busybox",
            full: "docker.io/library/busybox:latest", familiarFull: "busybox:latest",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "busybox:latest", "docker.io/library/busybox:latest", "busybox:latest",
            full: "docker.io/library/busybox:latest", familiarFull: "busybox:latest",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "busybox:1.36.1-musl", "docker.io/library/busybox:1.36.1-musl", "busybox:1.36.1-musl",
            full: "docker.io/library/busybox:1.36.1-musl", familiarFull: "busybox:1.36.1-musl",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "library/busybox", "docker.io/library/busybox", "busybox",
            full: "docker.io/library/busybox:latest", familiarFull: "busybox:latest",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "docker.io/busybox", "docker.io/library/busybox", "busybox",
            full: "docker.io/library/busybox:latest", familiarFull: "busybox:latest",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest",
            full: "docker.io/library/busybox:latest", familiarFull: "busybox:latest",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "index.docker.io/busybox", "docker.io/library/busybox", "busybox",
            full: "docker.io/library/busybox:latest", familiarFull: "busybox:latest",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "index.docker.io/library/busybox:1", "docker.io/library/busybox:1", "busybox:1",
            full: "docker.io/library/busybox:1", familiarFull: "busybox:1",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "user/app", "docker.io/user/app", "user/app",
            full: "docker.io/user/app:latest", familiarFull: "user/app:latest",
            registry: "docker.io", repository: "user/app"),
        .init(
            "docker.io/user/app:v2", "docker.io/user/app:v2", "user/app:v2",
            full: "docker.io/user/app:v2", familiarFull: "user/app:v2",
            registry: "docker.io", repository: "user/app"),
        .init(
            "user/app/sub", "docker.io/user/app/sub", "user/app/sub",
            full: "docker.io/user/app/sub:latest", familiarFull: "user/app/sub:latest",
            registry: "docker.io", repository: "user/app/sub"),
        .init(
            "docker.io/library/foo/bar", "docker.io/library/foo/bar", "library/foo/bar",
            full: "docker.io/library/foo/bar:latest", familiarFull: "library/foo/bar:latest",
            registry: "docker.io", repository: "library/foo/bar"),
        .init(
            "library/foo/bar", "docker.io/library/foo/bar", "library/foo/bar",
            full: "docker.io/library/foo/bar:latest", familiarFull: "library/foo/bar:latest",
            registry: "docker.io", repository: "library/foo/bar"),
        .init(
            "localhost/foo", "localhost/foo", "localhost/foo",
            full: "localhost/foo:latest", familiarFull: "localhost/foo:latest",
            registry: "localhost", repository: "foo"),
        .init(
            "localhost:5000/a/b:tag", "localhost:5000/a/b:tag", "localhost:5000/a/b:tag",
            full: "localhost:5000/a/b:tag", familiarFull: "localhost:5000/a/b:tag",
            registry: "localhost:5000", repository: "a/b"),
        .init(
            "localhost:5000/a/b", "localhost:5000/a/b", "localhost:5000/a/b",
            full: "localhost:5000/a/b:latest", familiarFull: "localhost:5000/a/b:latest",
            registry: "localhost:5000", repository: "a/b"),
        .init(
            "localhost:5000", "docker.io/library/localhost:5000", "localhost:5000",
            full: "docker.io/library/localhost:5000", familiarFull: "localhost:5000",
            registry: "docker.io", repository: "library/localhost"),
        .init(
            "localhost", "docker.io/library/localhost", "localhost",
            full: "docker.io/library/localhost:latest", familiarFull: "localhost:latest",
            registry: "docker.io", repository: "library/localhost"),
        .init(
            "127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "127.0.0.1:5000/debian",
            full: "127.0.0.1:5000/debian:latest", familiarFull: "127.0.0.1:5000/debian:latest",
            registry: "127.0.0.1:5000", repository: "debian"),
        .init(
            "192.168.0.1", "docker.io/library/192.168.0.1", "192.168.0.1",
            full: "docker.io/library/192.168.0.1:latest", familiarFull: "192.168.0.1:latest",
            registry: "docker.io", repository: "library/192.168.0.1"),
        .init(
            "192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80",
            full: "docker.io/library/192.168.0.1:80", familiarFull: "192.168.0.1:80",
            registry: "docker.io", repository: "library/192.168.0.1"),
        .init(
            "registry.example.com/x@sha256:\(hex)", "registry.example.com/x@sha256:\(hex)", "registry.example.com/x@sha256:\(hex)",
            full: "registry.example.com/x@sha256:\(hex)", familiarFull: "registry.example.com/x@sha256:\(hex)",
            registry: "registry.example.com", repository: "x"),
        .init(
            "registry.example.com:443/team/app:1.0@sha256:\(hex)", "registry.example.com:443/team/app:1.0@sha256:\(hex)", "registry.example.com:443/team/app:1.0@sha256:\(hex)",
            full: "registry.example.com:443/team/app:1.0@sha256:\(hex)", familiarFull: "registry.example.com:443/team/app:1.0@sha256:\(hex)",
            registry: "registry.example.com:443", repository: "team/app"),
        .init(
            "busybox:latest@sha256:\(hex)", "docker.io/library/busybox:latest@sha256:\(hex)", "busybox:latest@sha256:\(hex)",
            full: "docker.io/library/busybox:latest@sha256:\(hex)", familiarFull: "busybox:latest@sha256:\(hex)",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "busybox@sha256:\(hex)", "docker.io/library/busybox@sha256:\(hex)", "busybox@sha256:\(hex)",
            full: "docker.io/library/busybox@sha256:\(hex)", familiarFull: "busybox@sha256:\(hex)",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "example.com/privatebase", "example.com/privatebase", "example.com/privatebase",
            full: "example.com/privatebase:latest", familiarFull: "example.com/privatebase:latest",
            registry: "example.com", repository: "privatebase"),
        .init(
            "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase",
            full: "example.com:8000/private/moonbase:latest", familiarFull: "example.com:8000/private/moonbase:latest",
            registry: "example.com:8000", repository: "private/moonbase"),
        .init(
            "[fc00::1]:5000/docker", "[fc00::1]:5000/docker", "[fc00::1]:5000/docker",
            full: "[fc00::1]:5000/docker:latest", familiarFull: "[fc00::1]:5000/docker:latest",
            registry: "[fc00::1]:5000", repository: "docker"),
        .init(
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            full: "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest", familiarFull: "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
            registry: "[fc00:1:2:3:4:5:6:7]:5000", repository: "library/debian"),
        .init(
            "[::1]/foo", "[::1]/foo", "[::1]/foo",
            full: "[::1]/foo:latest", familiarFull: "[::1]/foo:latest",
            registry: "[::1]", repository: "foo"),
        .init(
            "Foo/bar", "Foo/bar", "Foo/bar",
            full: "Foo/bar:latest", familiarFull: "Foo/bar:latest",
            registry: "Foo", repository: "bar"),
        .init(
            "LOCALDOMAIN/debian", "LOCALDOMAIN/debian", "LOCALDOMAIN/debian",
            full: "LOCALDOMAIN/debian:latest", familiarFull: "LOCALDOMAIN/debian:latest",
            registry: "LOCALDOMAIN", repository: "debian"),
        .init(
            "a_b.com/foo", "a_b.com/foo", "a_b.com/foo",
            full: "a_b.com/foo:latest", familiarFull: "a_b.com/foo:latest",
            registry: "", repository: "a_b.com/foo"),
        .init(
            "docker---rules/docker", "docker.io/docker---rules/docker", "docker---rules/docker",
            full: "docker.io/docker---rules/docker:latest", familiarFull: "docker---rules/docker:latest",
            registry: "docker.io", repository: "docker---rules/docker"),
        .init(
            "dock__er/docker", "docker.io/dock__er/docker", "dock__er/docker",
            full: "docker.io/dock__er/docker:latest", familiarFull: "dock__er/docker:latest",
            registry: "docker.io", repository: "dock__er/docker"),
        .init(
            "d/docker", "docker.io/d/docker", "d/docker",
            full: "docker.io/d/docker:latest", familiarFull: "d/docker:latest",
            registry: "docker.io", repository: "d/docker"),
        .init(
            "jess/t", "docker.io/jess/t", "jess/t",
            full: "docker.io/jess/t:latest", familiarFull: "jess/t:latest",
            registry: "docker.io", repository: "jess/t"),
        .init(
            "foo_bar.baz-qux/x", "foo_bar.baz-qux/x", "foo_bar.baz-qux/x",
            full: "foo_bar.baz-qux/x:latest", familiarFull: "foo_bar.baz-qux/x:latest",
            registry: "", repository: "foo_bar.baz-qux/x"),
        .init(
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            full: "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest", familiarFull: "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
            registry: "docker.io", repository: "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"),
        .init(
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            full: "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest", familiarFull: "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest",
            registry: "docker.io", repository: "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"),
        .init(
            "ubuntu:_tag", "docker.io/library/ubuntu:_tag", "ubuntu:_tag",
            full: "docker.io/library/ubuntu:_tag", familiarFull: "ubuntu:_tag",
            registry: "docker.io", repository: "library/ubuntu"),
        .init(
            "ubuntu:Tag.With-Caps", "docker.io/library/ubuntu:Tag.With-Caps", "ubuntu:Tag.With-Caps",
            full: "docker.io/library/ubuntu:Tag.With-Caps", familiarFull: "ubuntu:Tag.With-Caps",
            registry: "docker.io", repository: "library/ubuntu"),
        .init("\(String(repeating: "a", count: 255))", error: "repository name must not be more than 255 characters"),
        .init("\(String(repeating: "a", count: 256))", error: "repository name must not be more than 255 characters"),
        .init("Foo", error: "invalid reference format: repository name (library/Foo) must be lowercase"),
        .init("foo/Bar", error: "invalid reference format: repository name (foo/Bar) must be lowercase"),
        .init("docker.io/docker/Docker", error: "invalid reference format: repository name (docker/Docker) must be lowercase"),
        .init("localhost:5000/Foo", error: "invalid reference format: repository name (Foo) must be lowercase"),
        .init("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", error: "invalid repository name (1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), cannot specify 64-byte hexadecimal strings"),
        .init("", error: "invalid reference format"),
        .init("https://github.com/docker/docker", error: "invalid reference format"),
        .init("-docker", error: "invalid reference format"),
        .init("docker-/docker", error: "invalid reference format"),
        .init("-docker.io/docker/docker", error: "invalid reference format"),
        .init("docker///docker", error: "invalid reference format"),
        .init("docker/", error: "invalid reference format"),
        .init("____/____", error: "invalid reference format"),
        .init("dock..er/docker", error: "invalid reference format"),
        .init("dock_.er/docker", error: "invalid reference format"),
        .init("dock___er/docker", error: "invalid reference format"),
        .init("[fc00::1]:5000", error: "invalid reference format"),
        .init("fc00::1:5000/debian", error: "invalid reference format"),
        .init("[fe80::1%eth0]:5000/debian", error: "invalid reference format"),
        .init("busybox:-tag", error: "invalid reference format"),
        .init("busybox:.tag", error: "invalid reference format"),
        .init("busybox:\(String(repeating: "t", count: 129))", error: "invalid reference format"),
        .init(
            "busybox:\(String(repeating: "t", count: 128))", "docker.io/library/busybox:\(String(repeating: "t", count: 128))", "busybox:\(String(repeating: "t", count: 128))",
            full: "docker.io/library/busybox:\(String(repeating: "t", count: 128))", familiarFull: "busybox:\(String(repeating: "t", count: 128))",
            registry: "docker.io", repository: "library/busybox"),
        .init("busybox:a:b", error: "invalid reference format"),
        .init("busybox@sha256:abc", error: "invalid reference format"),
        .init("busybox@sha256:\(hexUpper)", error: "invalid checksum digest format"),
        .init("busybox@sha256:\(hex)00", error: "invalid checksum digest length"),
        .init("busybox@md5:\(hex)", error: "unsupported digest algorithm"),
        // The docker CLI 28 (go-digest v1.0.0) accepts sha384; go-digest's main branch no longer registers it by default.
        .init(
            "busybox@sha384:\(hex)86e0e091d0da6bde2456dbb48306f395", "docker.io/library/busybox@sha384:\(hex)86e0e091d0da6bde2456dbb48306f395", "busybox@sha384:\(hex)86e0e091d0da6bde2456dbb48306f395",
            full: "docker.io/library/busybox@sha384:\(hex)86e0e091d0da6bde2456dbb48306f395", familiarFull: "busybox@sha384:\(hex)86e0e091d0da6bde2456dbb48306f395",
            registry: "docker.io", repository: "library/busybox"),
        .init(
            "busybox@sha512:\(hex)\(hex)", "docker.io/library/busybox@sha512:\(hex)\(hex)", "busybox@sha512:\(hex)\(hex)",
            full: "docker.io/library/busybox@sha512:\(hex)\(hex)", familiarFull: "busybox@sha512:\(hex)\(hex)",
            registry: "docker.io", repository: "library/busybox"),
        .init("busybox@Sha256:\(hex)", error: "invalid reference format: repository name (library/busybox@Sha256) must be lowercase"),
        .init("busybox@sha256:\(hex)@sha256:\(hex)", error: "invalid reference format"),
        .init("foo:5000:bar/x", error: "invalid reference format"),
        .init("example.com:port/x", error: "invalid reference format"),
        .init("ex_ample.com:5000/x", error: "invalid reference format"),
        .init("busy box", error: "invalid reference format"),
        .init("busybox:", error: "invalid reference format"),
        .init("@sha256:\(hex)", error: "invalid reference format"),
]
