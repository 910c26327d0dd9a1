import FoundationEssentials
import Glibc
import Testing

/// Validates JSON documents against the OCI image-spec JSON schemas with Python's
/// `jsonschema` (draft 4, the schemas' own), run through posix_spawn.
///
/// The schemas refer to each other by relative file name under their `id`s
/// (`https://opencontainers.org/schema/...`); the script resolves every such
/// reference, and the files' own `file://` URIs, to the schema directory.
struct SchemaValidator: Sendable {
    let schemaDirectory: String

    /// Where the schemas are: /work/shared as laid out for sessions, or
    /// `<repo>/../shared` as CI lays it out. Nil when neither exists.
    static let shared: SchemaValidator? = {
        let repoRoot = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let candidates = [
            "/work/shared/reference/oci-image-schema",
            "/\(repoRoot)/../shared/reference/oci-image-schema",
        ]
        for dir in candidates where access(dir + "/image-manifest-schema.json", R_OK) == 0 {
            return SchemaValidator(schemaDirectory: dir)
        }
        return nil
    }()


    /// A document to check, by schema file name.
    struct Document {
        var schema: String
        var name: String
        var json: Data
    }

    /// Problems found, one line each (`name: layers/0/size: -1 is less than the minimum of 0`);
    /// empty when every document is valid. Throws if Python or jsonschema cannot run.
    func problems(_ documents: [Document]) throws -> [String] {
        var template = Array("/tmp/skiff-oci-schema-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
        else { throw SchemaRunError("mkdtemp: \(String(cString: strerror(errno)))") }
        defer { removeTree(dir) }

        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: dir + "/check.py"))
        var args = ["python3", dir + "/check.py", schemaDirectory]
        for (i, document) in documents.enumerated() {
            let path = "\(dir)/\(i).json"
            try document.json.write(to: URL(fileURLWithPath: path))
            args.append("\(document.schema)=\(path)=\(document.name)")
        }
        let (status, output) = try run(args, outputPath: dir + "/out.txt")
        let lines = output.split(separator: "\n").map(String.init)
        switch status {
        case 0: return []
        case 1: return lines
        default: throw SchemaRunError("python3 jsonschema exited \(status):\n\(output)")
        }
    }

    private func run(_ args: [String], outputPath: String) throws -> (Int32, String) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, args[0], &actions, nil, &argv, environ)
        guard rc == 0 else { throw SchemaRunError("posix_spawnp \(args[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }

    private func removeTree(_ dir: String) {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            for entry in entries { unlink(dir + "/" + entry) }
        }
        rmdir(dir)
    }

    /// argv: SCHEMA_DIR SCHEMA=PATH=NAME...; prints one line per problem; exit 1 if any.
    static let script = #"""
        import json, pathlib, sys
        from urllib.parse import urlparse
        try:
            import jsonschema
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT4
        except ImportError as e:
            print(f"python3 cannot import jsonschema/referencing: {e}")
            sys.exit(2)

        schema_dir = pathlib.Path(sys.argv[1]).resolve()
        base = schema_dir.as_uri() + "/"

        def load(name):
            return Resource.from_contents(json.loads((schema_dir / name).read_text()), default_specification=DRAFT4)

        def retrieve(uri):
            # "https://opencontainers.org/schema/image/content-descriptor.json" and
            # "file:///.../defs.json" alike: the file of that name in schema_dir.
            name = urlparse(uri).path.rsplit("/", 1)[-1]
            if not (schema_dir / name).is_file():
                raise LookupError(f"no schema file for {uri}")
            return load(name)

        registry = Registry(retrieve=retrieve).with_resources(
            (base + p.name, load(p.name)) for p in schema_dir.glob("*.json"))

        problems = 0
        for arg in sys.argv[2:]:
            schema_name, path, name = arg.split("=", 2)
            schema = json.loads((schema_dir / schema_name).read_text())
            cls = jsonschema.validators.validator_for(schema)
            validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
            document = json.loads(pathlib.Path(path).read_text())
            for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
                problems += 1
                where = "/".join(map(str, error.absolute_path)) or "<root>"
                print(f"{name}: {where}: {error.message}")
        sys.exit(1 if problems else 0)
        """#
}

struct SchemaRunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
