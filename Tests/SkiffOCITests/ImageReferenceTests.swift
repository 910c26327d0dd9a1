import FoundationEssentials
import SkiffOCI
import Testing

private let hex = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"

@Suite struct ImageReferenceTests {
    @Test func tableHasEnoughCases() {
        #expect(dockerReferenceCases.count >= 40)
        #expect(dockerReferenceCases.contains { if case .invalid = $0.expected { true } else { false } })
    }

    @Test(arguments: dockerReferenceCases)
    func matchesDocker(_ row: ReferenceCase) throws {
        switch row.expected {
        case .valid(let parsed, let familiar, let full, let familiarFull, let registry, let repository):
            let reference = try ImageReference(row.input)
            #expect(reference.fullName == parsed)
            #expect(reference.description == parsed)
            #expect(reference.familiar == familiar)
            #expect(reference.registry == registry)
            #expect(reference.repository == repository)
            let tagged = reference.withDefaultTag()
            #expect(tagged.fullName == full)
            #expect(tagged.familiar == familiarFull)
            // Parsing what we print gives the same reference back.
            #expect(try ImageReference(reference.fullName) == reference)
            // (Except where Docker's own familiar form is an image id: `docker.io/<64 hex>`.)
            if !(reference.familiar.count == 64 && reference.familiar.allSatisfy(\.isHexDigit)) {
                #expect(try ImageReference(reference.familiar) == reference)
            }
        case .invalid(let message):
            let error = try #require(throws: ImageReferenceError.self) { try ImageReference(row.input) }
            #expect(error.dockerMessage == message)
            #expect(error.description.hasPrefix(message))
        }
    }

    @Test func parts() throws {
        let reference = try ImageReference("registry.example.com:443/team/app:1.0@sha256:\(hex)")
        #expect(reference.registry == "registry.example.com:443")
        #expect(reference.repository == "team/app")
        #expect(reference.tag == "1.0")
        #expect(reference.digest == (try Digest("sha256:" + hex)))
        #expect(reference.name == "registry.example.com:443/team/app")
        #expect(reference.familiarName == "registry.example.com:443/team/app")
        #expect(!reference.isDockerHub)
        #expect(!reference.isNameOnly)
        #expect(reference.withDefaultTag() == reference)

        let busybox = try ImageReference("busybox")
        #expect(busybox.tag == nil && busybox.digest == nil && busybox.isNameOnly)
        #expect(busybox.isDockerHub)
        #expect(busybox.name == "docker.io/library/busybox")
        #expect(busybox.familiarName == "busybox")
        #expect(busybox.withDefaultTag().tag == "latest")

        let digested = try ImageReference("busybox@sha256:\(hex)")
        #expect(digested.withDefaultTag() == digested, "a digest is enough: no default tag")
    }

    @Test func derivedReferences() throws {
        let app = try ImageReference("user/app:1@sha256:\(hex)")
        #expect(try app.withTag("2").familiar == "user/app:2@sha256:\(hex)")
        #expect(app.nameOnly.familiar == "user/app")
        let other = try Digest("sha256:" + String(repeating: "0", count: 64))
        #expect(app.withDigest(other).fullName == "docker.io/user/app:1@" + other.description)
        #expect(throws: ImageReferenceError(input: "-bad", reason: .invalidTag)) { try app.withTag("-bad") }
        #expect(ImageReference.isValidTag("v1.2_3-rc"))
        #expect(!ImageReference.isValidTag(".hidden"))
        #expect(!ImageReference.isValidTag(String(repeating: "t", count: 129)))
    }

    @Test func errorsSayWhatIsWrong() throws {
        func problem(_ input: String) -> String {
            do {
                _ = try ImageReference(input)
                return "parsed"
            } catch {
                return error.description
            }
        }
        #expect(problem("Foo") == "invalid reference format: repository name (library/Foo) must be lowercase")
        #expect(problem("busybox:-x") == #"invalid reference format: tag "-x" must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"#)
        #expect(problem("docker///docker") == "invalid reference format: the repository name has an empty path component")
        // A first component with '.' is a registry to Docker, so that is what is wrong with it.
        #expect(problem("dock..er/docker") == #"invalid reference format: registry "dock..er" is not a valid host[:port]"#)
        #expect(problem("docker/dock..er") == #"invalid reference format: repository path component "dock..er" must be lowercase letters and digits, separated by '.', '_', '__' or '-'"#)
        #expect(problem("-docker.io/docker/docker") == #"invalid reference format: registry "-docker.io" is not a valid host[:port]"#)
        #expect(problem("busybox@sha256:abc") == #"invalid reference format: digest "sha256:abc" is not algorithm:hex with at least 32 hex digits"#)
        #expect(problem("busybox@sha256:\(hex)00") == "invalid checksum digest length: sha256 digests have 64 hex characters, this has 66")
        #expect(problem("busybox@sha256:\(hex.uppercased())") == "invalid checksum digest format: sha256 digests must be lowercase hex [a-f0-9]")
        #expect(problem("busybox@md5:\(hex)") == #"unsupported digest algorithm "md5" (supported: sha256, sha384, sha512)"#)
        #expect(problem("") == "invalid reference format: the reference is empty")
        #expect(problem(String(repeating: "a", count: 256)) == "repository name must not be more than 255 characters (it has 264)")
    }

    @Test func codableAsFullString() throws {
        let reference = try ImageReference("busybox:1")
        let data = try JSONEncoder().encode([reference])
        #expect(String(decoding: data, as: UTF8.self) == #"["docker.io\/library\/busybox:1"]"#)
        #expect(try JSONDecoder().decode([ImageReference].self, from: data) == [reference])
        #expect(try JSONDecoder().decode([ImageReference].self, from: Data(#"["busybox:1"]"#.utf8)) == [reference])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ImageReference].self, from: Data(#"["Busybox"]"#.utf8))
        }
    }
}
