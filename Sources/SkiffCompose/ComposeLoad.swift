import Foundation

public enum ComposeLoader {
    static let discoveryNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
    static let overrideNames = ["compose.override.yaml", "compose.override.yml", "docker-compose.override.yml", "docker-compose.override.yaml"]

    /// Reads, interpolates, validates, merges, extends, includes, filters by profile and
    /// normalises a Compose project into `docker compose config`'s shapes:
    ///
    /// 1. files: `options.files`, else COMPOSE_FILE, else compose.yaml & co. found in the
    ///    working directory or its parents (with compose.override.yaml & co. next to it);
    /// 2. the interpolation environment: the env files (or `<project>/.env`) under
    ///    `options.environment`;
    /// 3. each file parsed, interpolated, validated against the Compose schema, its `include`s
    ///    and `extends` resolved and its relative paths made absolute, then merged in order;
    /// 4. services filtered by profile, then normalised (see `ComposeNormalizer`).
    ///
    /// Every failure is a `ComposeError` whose description is docker compose's message.
    public static func load(_ options: LoadOptions) throws -> ComposeProject {
        var ctx = LoadContext(options: options)
        let workingDirectory = Paths.absolute(options.workingDirectory, relativeTo: FileManager.default.currentDirectoryPath)
        ctx.workingDirectory = workingDirectory

        // Which files.
        var files = options.files
        let processEnv = options.environment
        if files.isEmpty, let cf = processEnv["COMPOSE_FILE"], !cf.isEmpty {
            files = splitFileList(cf, env: processEnv)
        }
        var projectDirectory = options.projectDirectory.map { Paths.absolute($0, relativeTo: workingDirectory) }
        if files.isEmpty {
            // The env files (or a .env where we are) may name the files.
            let candidates = options.envFiles.isEmpty
                ? [Paths.join(projectDirectory ?? workingDirectory, ".env")]
                : options.envFiles.map { Paths.absolute($0, relativeTo: workingDirectory) }
            for f in candidates where Paths.isFile(f) {
                if let pairs = try? Dotenv.read(path: f, env: processEnv),
                   let cf = pairs.last(where: { $0.0 == "COMPOSE_FILE" })?.1, !cf.isEmpty {
                    files = splitFileList(cf, env: processEnv)
                }
            }
        }
        var absoluteFiles: [String] = []
        if files.isEmpty {
            absoluteFiles = try discover(from: projectDirectory ?? workingDirectory)
        } else {
            absoluteFiles = files.map { $0 == "-" ? "-" : Paths.absolute($0, relativeTo: workingDirectory) }
        }
        if projectDirectory == nil {
            let first = absoluteFiles[0]
            projectDirectory = first == "-" ? workingDirectory : Paths.dirname(first)
        }
        let projectDir = projectDirectory!
        ctx.projectDirectory = projectDir

        // The interpolation environment: env files under the process environment.
        var envFiles = options.envFiles.map { Paths.absolute($0, relativeTo: workingDirectory) }
        if envFiles.isEmpty {
            let dotenv = Paths.join(projectDir, ".env")
            if Paths.isFile(dotenv) { envFiles = [dotenv] }
        }
        var env: [String: String] = [:]
        for f in envFiles {
            if Paths.isDirectory(f) { throw ComposeError("\(f) is a directory") }
            for (k, v) in try Dotenv.read(path: f, env: processEnv.merging(env) { a, _ in a }) { env[k] = v }
        }
        for (k, v) in processEnv { env[k] = v }
        ctx.environment = env

        // Each file, then the merge.
        var model = ComposeValue.mapping(ComposeMapping())
        for (i, f) in absoluteFiles.enumerated() {
            // Includes first, so that extends sees what they bring.
            var file = try ctx.loadFile(f, display: f)
            file = try ctx.applyIncludes(file, stack: [f])
            file = try ctx.applyExtends(file, filePath: f, fileDir: f == "-" ? workingDirectory : Paths.dirname(f))
            file = try ComposeSchema.validate(file, file: f)
            file = ctx.rebaseFile(file, dir: projectDir)
            model = i == 0 ? file : ComposeMerge.mergeFiles(model, file)
            model = ctx.applyMergeTags(of: f, file: file, to: model)
        }

        if model.mapping?.isEmpty != false {
            throw ComposeError("empty compose file")
        }

        // Project name.
        let rawName: String
        if let n = options.projectName, !n.isEmpty {
            rawName = n
        } else if let n = env["COMPOSE_PROJECT_NAME"], !n.isEmpty {
            rawName = n
        } else if let n = model["name"]?.scalarText, !n.isEmpty {
            rawName = n
        } else {
            rawName = Paths.basename(projectDir)
        }
        let name = try normalizeProjectName(rawName)

        // Profiles, then the canonical model.
        var profiles = options.profiles
        if let p = env["COMPOSE_PROFILES"] {
            profiles += p.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        model = try ComposeNormalizer.filterProfiles(model, active: profiles, named: options.services)
        var normalizer = ComposeNormalizer(projectName: name, projectDirectory: projectDir, environment: env,
                                           home: env["HOME"] ?? NSHomeDirectory(),
                                           keepUnusedResources: options.keepUnusedResources)
        model = try normalizer.normalize(model)

        return ComposeProject(name: name, workingDirectory: projectDir,
                              files: absoluteFiles, model: model, environment: env, warnings: ctx.warnings)
    }

    static func splitFileList(_ s: String, env: [String: String]) -> [String] {
        let sep = env["COMPOSE_PATH_SEPARATOR"].flatMap { $0.first } ?? ":"
        return s.split(separator: sep).map(String.init).filter { !$0.isEmpty }
    }

    static func discover(from start: String) throws -> [String] {
        var dir = start
        while true {
            for n in discoveryNames {
                let p = Paths.join(dir, n)
                if Paths.isFile(p) {
                    var out = [p]
                    if let o = overrideNames.map({ Paths.join(dir, $0) }).first(where: Paths.isFile) { out.append(o) }
                    return out
                }
            }
            let parent = Paths.dirname(dir)
            if parent == dir { break }
            dir = parent
        }
        throw ComposeError("no configuration file provided: not found")
    }

    /// Lowercased, with characters other than [a-z0-9_-] dropped; it must then start with a
    /// letter or digit.
    static func normalizeProjectName(_ raw: String) throws -> String {
        let lowered = raw.lowercased()
        let kept = String(lowered.unicodeScalars.filter {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }.map(Character.init))
        if kept.isEmpty {
            throw ComposeError("project name must not be empty")
        }
        guard let first = kept.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else {
            throw ComposeError("invalid project name \"\(kept)\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number")
        }
        return kept
    }
}

/// What loading one project (or an included one) shares.
struct LoadContext {
    var options: LoadOptions
    var workingDirectory = "/"
    var projectDirectory = "/"
    var environment: [String: String] = [:]
    var warnings: [String] = []
    /// Files already read (for `extends`), by absolute path: parsed and interpolated.
    var cache: [String: ComposeValue] = [:]
    /// Each file's `!reset` and `!override` places, by absolute path.
    var mergeTags: [String: ComposeYAML.MergeTags] = [:]

    init(options: LoadOptions) { self.options = options }

    /// Reads, parses and interpolates one file; `path` is absolute or `-`. (It is validated
    /// once its `extends` are applied: a file only extended from need not be valid alone.)
    mutating func loadFile(_ path: String, display: String) throws -> ComposeValue {
        if let v = cache[path] { return v }
        let text: String
        if path == "-" {
            if let s = options.stdin {
                text = s
            } else {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                text = String(decoding: data, as: UTF8.self)
            }
        } else {
            if Paths.isDirectory(path) { throw ComposeError("read \(path): is a directory") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ComposeError("open \(path): no such file or directory")
            }
            guard let s = String(data: data, encoding: .utf8) else {
                throw ComposeError("\(display): not UTF-8 text")
            }
            text = s
        }
        var tags = ComposeYAML.MergeTags()
        var parsed = try ComposeYAML.parse(text, file: display, tags: &tags)
        mergeTags[path] = tags
        if case .null = parsed { parsed = .mapping(ComposeMapping()) }  // an empty file adds nothing
        guard case .mapping = parsed else {
            throw ComposeError("\(display): top-level object must be a mapping")
        }
        let env = environment
        var interpolator = Interpolator { env[$0] }
        // docker compose names the path, not the file, in interpolation errors.
        let interpolated = try interpolator.interpolate(parsed)
        for name in interpolator.unset {
            warn("The \"\(name)\" variable is not set. Defaulting to a blank string.")
        }
        if parsed["version"] != nil {
            warn("\(display): the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion")
        }
        cache[path] = interpolated
        return interpolated
    }

    /// After merging `file` into `model`: `!override` places take the file's value whole,
    /// `!reset` places lose what earlier files set.
    func applyMergeTags(of path: String, file: ComposeValue, to model: ComposeValue) -> ComposeValue {
        guard let tags = mergeTags[path] else { return model }
        var model = model
        for p in tags.override {
            if let v = file.value(at: p) { model.setValue(v, at: p) }
        }
        for p in tags.reset where !p.contains(where: { $0.hasPrefix("[") }) {
            model.setValue(nil, at: p)
        }
        return model
    }

    /// Records a warning once and prints it as docker compose does (`WARN[0000] …` on stderr).
    mutating func warn(_ w: String) {
        guard !warnings.contains(w) else { return }
        warnings.append(w)
        if options.printWarnings {
            FileHandle.standardError.write(Data("WARN[0000] \(w)\n".utf8))
        }
    }

    // MARK: extends

    mutating func applyExtends(_ file: ComposeValue, filePath: String, fileDir: String) throws -> ComposeValue {
        guard var m = file.mapping, let services = m["services"]?.mapping else { return file }
        var out = ComposeMapping()
        for name in services.keys {
            out[name] = try resolveService(name, services: services, filePath: filePath, fileDir: fileDir, stack: [])
        }
        m["services"] = .mapping(out)
        return .mapping(m)
    }

    private mutating func resolveService(_ name: String, services: ComposeMapping, filePath: String, fileDir: String,
                                         stack: [(String, String)]) throws -> ComposeValue {
        guard let svc = services[name] else {
            throw ComposeError("cannot extend service \"\(name)\" in \(filePath): service not found")
        }
        guard var sm = svc.mapping, let ext = sm["extends"] else { return svc }
        if stack.contains(where: { $0 == (filePath, name) }) {
            var lines = ["Circular reference:", "  \(stack[0].1) in \(stack[0].0)"]
            for (f, n) in stack.dropFirst() + [(filePath, name)] { lines.append("  extends \(n) in \(f)") }
            throw ComposeError(lines.joined(separator: "\n"))
        }
        if stack.count > 64 { throw ComposeError("extends chain is too long at service \(name)") }
        var baseName: String
        var baseFile: String?
        switch ext {
        case .string(let s): baseName = s
        case .mapping(let e):
            baseName = e["service"]?.scalarText ?? ""
            baseFile = e["file"]?.scalarText
        default: baseName = ""
        }
        if baseName.isEmpty { throw ComposeError("\(filePath): services.\(name).extends: missing property 'service'") }
        let next = stack + [(filePath, name)]
        var base: ComposeValue
        if let baseFile {
            let other = Paths.absolute(Paths.expandHome(baseFile, home: environment["HOME"] ?? NSHomeDirectory()), relativeTo: fileDir)
            let otherFile = try loadFile(other, display: other)
            guard let otherServices = otherFile["services"]?.mapping else {
                throw ComposeError("cannot extend service \"\(name)\" in \(other): no services section")
            }
            guard otherServices[baseName] != nil else {
                throw ComposeError("cannot extend service \"\(name)\" in \(filePath): service \"\(baseName)\" not found in \(baseFile)")
            }
            base = try resolveService(baseName, services: otherServices, filePath: other, fileDir: Paths.dirname(other), stack: next)
            base = rebaseService(base, dir: Paths.dirname(other))
        } else {
            guard services[baseName] != nil else {
                throw ComposeError("cannot extend service \"\(name)\" in \(filePath): service \"\(baseName)\" not found")
            }
            base = try resolveService(baseName, services: services, filePath: filePath, fileDir: fileDir, stack: next)
        }
        sm["extends"] = nil
        if var bm = base.mapping { bm["extends"] = nil; base = .mapping(bm) }
        var merged = ComposeMerge.merge(base, .mapping(sm), path: ["services", name])
        // `!override` / `!reset` in the extending service apply to what it inherits too.
        if let tags = mergeTags[filePath] {
            for p in tags.override where p.count > 2 && p[0] == "services" && p[1] == name {
                if let v = svc.value(at: p.dropFirst(2)) { merged.setValue(v, at: p.dropFirst(2)) }
            }
            for p in tags.reset where p.count > 2 && p[0] == "services" && p[1] == name && !p.contains(where: { $0.hasPrefix("[") }) {
                merged.setValue(nil, at: p.dropFirst(2))
            }
        }
        return merged
    }

    // MARK: include

    static let resourceKinds = ["services", "networks", "volumes", "secrets", "configs"]

    mutating func applyIncludes(_ file: ComposeValue, stack: [String]) throws -> ComposeValue {
        guard var m = file.mapping, let includes = m["include"]?.array else { return file }
        m["include"] = nil
        for inc in includes {
            var paths: [String] = []
            var projectDir: String?
            var envFiles: [String]?
            switch inc {
            case .string(let s): paths = [s]
            case .mapping(let im):
                if let p = im["path"] { paths = (p.array ?? [p]).compactMap(\.scalarText) }
                projectDir = im["project_directory"]?.scalarText
                if let e = im["env_file"] { envFiles = (e.array ?? [e]).compactMap(\.scalarText) }
            default: continue
            }
            guard !paths.isEmpty else { continue }
            // Relative to the including project's directory, as compose-go resolves them.
            let base = projectDirectory
            let absPaths = paths.map { Paths.absolute(Paths.expandHome($0, home: home), relativeTo: base) }
            for p in absPaths where stack.contains(p) {
                throw ComposeError("include cycle detected: \((stack + [p]).joined(separator: " -> "))")
            }
            let subDir = projectDir.map { Paths.absolute($0, relativeTo: base) } ?? Paths.dirname(absPaths[0])
            // The included project's environment: ours, plus what its env files (or its .env)
            // define that ours does not (compose-go's Mapping.Merge).
            var env = environment
            let files = envFiles.map { $0.filter { $0 != "/dev/null" }.map { Paths.absolute($0, relativeTo: base) } }
                ?? [Paths.join(subDir, ".env")].filter(Paths.isFile)
            for f in files {
                if Paths.isDirectory(f) { throw ComposeError("\(f) is not a file") }
                for (k, v) in try Dotenv.read(path: f, env: environment) where environment[k] == nil { env[k] = v }
            }
            var sub = LoadContext(options: options)
            sub.workingDirectory = workingDirectory
            sub.projectDirectory = subDir
            sub.environment = env
            var included = ComposeValue.mapping(ComposeMapping())
            for (i, p) in absPaths.enumerated() {
                var f = try sub.loadFile(p, display: p)
                f = try sub.applyIncludes(f, stack: stack + [p])
                f = try sub.applyExtends(f, filePath: p, fileDir: Paths.dirname(p))
                f = try ComposeSchema.validate(f, file: p)
                f = sub.rebaseFile(f, dir: subDir)
                included = i == 0 ? f : ComposeMerge.mergeFiles(included, f)
                included = sub.applyMergeTags(of: p, file: f, to: included)
            }
            for w in sub.warnings where !warnings.contains(w) { warnings.append(w) }
            for kind in Self.resourceKinds {
                guard let res = included[kind]?.mapping else { continue }
                var mine = m[kind]?.mapping ?? ComposeMapping()
                for (k, v) in res.entries {
                    if let existing = mine[k] {
                        if existing == v { continue }
                        throw ComposeError("\(kind).\(k) conflicts with imported resource")
                    }
                    mine[k] = v
                }
                m[kind] = .mapping(mine)
            }
        }
        return .mapping(m)
    }

    // MARK: relative paths

    var home: String { environment["HOME"] ?? NSHomeDirectory() }

    /// Makes a file's relative paths absolute against `dir` (services' build contexts, env
    /// files, bind mounts; secrets' and configs' files).
    func rebaseFile(_ file: ComposeValue, dir: String) -> ComposeValue {
        guard var m = file.mapping else { return file }
        if let services = m["services"]?.mapping {
            var out = ComposeMapping()
            for (k, v) in services.entries { out[k] = rebaseService(v, dir: dir) }
            m["services"] = .mapping(out)
        }
        for kind in ["secrets", "configs"] {
            guard let res = m[kind]?.mapping else { continue }
            var out = ComposeMapping()
            for (k, v) in res.entries {
                if var r = v.mapping, let f = r["file"]?.scalarText {
                    r["file"] = .string(Paths.absolute(Paths.expandHome(f, home: home), relativeTo: dir))
                    out[k] = .mapping(r)
                } else {
                    out[k] = v
                }
            }
            m[kind] = .mapping(out)
        }
        return .mapping(m)
    }

    func rebaseService(_ service: ComposeValue, dir: String) -> ComposeValue {
        guard var s = service.mapping else { return service }
        func abs(_ p: String) -> String { Paths.absolute(Paths.expandHome(p, home: home), relativeTo: dir) }
        switch s["build"] {
        case .string(let c)?:
            s["build"] = .string(Paths.isRemoteContext(c) ? c : abs(c))
        case .mapping(var b)?:
            // No context here: an override file's build (args only, say) keeps the base's
            // after the merge; the normaliser defaults it to the project directory.
            if let c = b["context"]?.scalarText {
                b["context"] = .string(Paths.isRemoteContext(c) ? c : abs(c))
                s["build"] = .mapping(b)
            }
        default: break
        }
        for key in ["env_file", "label_file"] {
            guard let v = s[key] else { continue }
            func fix(_ item: ComposeValue) -> ComposeValue {
                switch item {
                case .string(let p): return .string(abs(p))
                case .mapping(var e):
                    if let p = e["path"]?.scalarText { e["path"] = .string(abs(p)) }
                    return .mapping(e)
                default: return item
                }
            }
            s[key] = v.array.map { .array($0.map(fix)) } ?? fix(v)
        }
        if let vols = s["volumes"]?.array {
            s["volumes"] = .array(vols.map { v in
                switch v {
                case .string(let spec):
                    let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { return v }
                    let src = String(parts[0])
                    guard src.hasPrefix(".") || src.hasPrefix("~") else { return v }
                    return .string(abs(src) + ":" + parts[1])
                case .mapping(var lm):
                    if lm["type"]?.scalarText == "bind", let src = lm["source"]?.scalarText {
                        lm["source"] = .string(abs(src))
                    }
                    return .mapping(lm)
                default: return v
                }
            })
        }
        return .mapping(s)
    }
}

/// Path text helpers (POSIX paths; no symlinks resolved).
enum Paths {
    static func clean(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for c in path.split(separator: "/") {
            if c == "." || c.isEmpty { continue }
            if c == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(c) }
                continue
            }
            parts.append(c)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func join(_ a: String, _ b: String) -> String { clean(a + "/" + b) }

    static func absolute(_ p: String, relativeTo base: String) -> String {
        p.hasPrefix("/") ? clean(p) : join(base, p)
    }

    static func dirname(_ p: String) -> String {
        let c = clean(p)
        guard let i = c.lastIndex(of: "/") else { return "." }
        return i == c.startIndex ? "/" : String(c[..<i])
    }

    static func basename(_ p: String) -> String {
        let c = clean(p)
        if c == "/" { return "" }
        return c.split(separator: "/").last.map(String.init) ?? c
    }

    static func expandHome(_ p: String, home: String) -> String {
        if p == "~" { return home }
        if p.hasPrefix("~/") { return home + p.dropFirst(1) }
        return p
    }

    static func isFile(_ p: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &dir) && !dir.boolValue
    }

    static func isDirectory(_ p: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &dir) && dir.boolValue
    }

    /// Git URLs and the like, which build contexts may be.
    static func isRemoteContext(_ c: String) -> Bool {
        c.contains("://") || c.hasPrefix("git@") || c.hasPrefix("github.com/")
    }
}
