import Glibc

/// docker's `createContainer`: POST /containers/create, pulling the image first when it is
/// missing (or always with --pull always), warnings to stderr, the id to --cidfile.
enum ContainerCreation {
    static func create(_ inv: Invocation, _ request: ContainerOptions.Request) throws -> String {
        let client = try inv.client
        let pull = inv.flags.string("pull") ?? "missing"
        guard ["always", "missing", "never", ""].contains(pull) else {
            throw CLIError("invalid pull option: '\(pull)': must be one of \"always\", \"missing\" or \"never\"")
        }
        let cidfile = inv.flags.string("cidfile") ?? ""
        if !cidfile.isEmpty, access(cidfile, F_OK) == 0 {
            throw CLIError("container ID file found, make sure the other container isn't running or delete \(cidfile)")
        }
        let reference = ImageName(request.image)
        if pull == "always" { try pullImage(client, request: request, quiet: inv.flags.bool("quiet")) }

        var body = request.body
        if case .object(var config) = body, case .object(var host)? = config["HostConfig"] {
            host["ConsoleSize"] = Attaching.consoleSize
            config["HostConfig"] = .object(host)
            body = .object(config)
        }
        var query = Query()
        if let name = request.name { query.add("name", name) }
        if let platform = request.platform, !platform.isEmpty { query.add("platform", platform) }

        var answer: JSON
        do {
            answer = try client.json("POST", "/containers/create", query: query, body: body)
        } catch let error as DaemonError where error.isNotFound && reference != nil && pull == "missing" {
            if !inv.flags.bool("quiet") {
                Output.error("Unable to find image '\(reference!.familiarWithDefaultTag)' locally")
            }
            try pullImage(client, request: request, quiet: inv.flags.bool("quiet"))
            answer = try client.json("POST", "/containers/create", query: query, body: body)
        }
        let id = answer["Id"]?.string ?? ""
        for warning in answer["Warnings"]?.strings ?? [] { Output.error("WARNING: \(warning)") }
        if !cidfile.isEmpty {
            let fd = open(cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CLIError("failed to create the container ID file: \(SystemError("open \(cidfile)"))") }
            Output.write(fd, id)
            close(fd)
        }
        return id
    }

    /// POST /images/create?fromImage=...&tag=..., its progress messages to stderr.
    static func pullImage(_ client: APIClient, request: ContainerOptions.Request, quiet: Bool) throws {
        guard let ref = ImageName(request.image) else { throw CLIError("invalid reference format") }
        var query: Query = ["fromImage": ref.name, "tag": ref.digest ?? ref.tag ?? "latest"]
        if let platform = request.platform, !platform.isEmpty { query.add("platform", platform) }
        let response = try client.send("POST", "/images/create", query: query, headers: [try DockerConfigFile.registryAuthHeader(for: ref)])
        try JSONMessages.display(response.body, to: quiet ? nil : 2)
    }
}

/// docker's jsonmessage stream (pull, load, import progress): one JSON object per message,
/// printed as "id: status progress"; an `error` member ends it with that error.
enum JSONMessages {
    static func display(_ body: ResponseBody, to fd: Int32?) throws {
        var pending: [UInt8] = []
        while let part = try body.next() {
            pending += part
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                try show(line, fd)
            }
        }
        if !pending.isEmpty { try show(pending, fd) }
    }

    private static func show(_ line: [UInt8], _ fd: Int32?) throws {
        guard let message = try? JSON.parse(line) else { return }
        if let error = message["errorDetail"]?["message"]?.string ?? message["error"]?.string {
            throw CLIError(error)
        }
        guard let fd else { return }
        // Without a terminal, messages with a progress bar are skipped (as docker does).
        if let detail = message["progressDetail"], (detail["current"]?.int ?? 0) > 0 || (detail["total"]?.int ?? 0) > 0 { return }
        var text = ""
        if let id = message["id"]?.string, !id.isEmpty { text += id + ": " }
        if let from = message["from"]?.string, !from.isEmpty { text += "(from \(from)) " }
        if let stream = message["stream"]?.string {
            Output.write(fd, text + stream)
            return
        }
        Output.write(fd, text + (message["status"]?.string ?? "") + "\n")
    }
}
