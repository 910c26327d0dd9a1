import Glibc

/// `skiff version`: client and server versions through docker's template (or --format).
enum VersionCommand {
    static let spec = CommandSpec(
        name: "version", usage: "[OPTIONS]", summary: "Show the skiff version information",
        flags: [.value("format", "f", .string, InspectCommand.formatHelp)], arguments: .none, run: run)

    /// docker's default template, without the client's Go version, commit and build time.
    static let defaultTemplate = """
        {{with .Client -}}
        Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
         Version:\t{{.Version}}
         API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
         OS/Arch:\t{{.Os}}/{{.Arch}}
         Context:\t{{.Context}}
        {{- end}}

        {{- if ne .Server nil}}{{with .Server}}

        Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
         {{- range $component := .Components}}
         {{$component.Name}}:
          {{- if eq $component.Name "Engine" }}
          Version:\t{{.Version}}
          API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
          Go version:\t{{index .Details "GoVersion"}}
          Git commit:\t{{index .Details "GitCommit"}}
          Built:\t{{index .Details "BuildTime"}}
          OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
          Experimental:\t{{index .Details "Experimental"}}
          {{- else }}
          Version:\t{{$component.Version}}
          {{- range $key, $value := $component.Details}}
          {{$key}}:\t{{$value}}
           {{- end}}
          {{- end}}
         {{- end}}
         {{- end}}{{- end}}
        """

    /// The client half, with Go's field names (`.Client.APIVersion`) and docker's JSON keys.
    static func clientInfo(apiVersion: String) -> JSON {
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: &uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return [
            "Version": .string(SkiffVersion.version), "ApiVersion": .string(apiVersion),
            "DefaultAPIVersion": .string(APIClient.maxVersion.description), "GitCommit": "",
            "GoVersion": "", "Os": "linux", "Arch": .string(machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine),
            "BuildTime": "", "Context": "default",
        ]
    }

    static func run(_ inv: Invocation) throws {
        var source = inv.flags.string("format") ?? ""
        if source.isEmpty { source = defaultTemplate } else if source == "json" { source = "{{json .}}" }
        let template: GoTemplate
        do { template = try GoTemplate(source, name: "version") } catch { throw CLIError("template parsing error: \(error)", status: 64) }
        let client = try inv.client
        var serverError: (any Error)?
        var server: JSON = .null
        var apiVersion = APIClient.maxVersion.description
        do {
            apiVersion = try client.version().description
            server = try client.json("GET", "/version")
            server = engineDetails(server)
        } catch {
            serverError = error
        }
        let data: JSON = ["Client": clientInfo(apiVersion: apiVersion), "Server": server]
        var output = ""
        var templateError: TemplateExecError?
        do { output = try template.execute(.json(data)) } catch {
            templateError = error
            output = template.executePartial(.json(data))
        }
        Output.write(1, TabWriter(minWidth: 20, padding: 1).format(output + "\n"))
        if let serverError { throw serverError }
        if let templateError { throw CLIError("\(templateError)") }
    }

    /// The Engine component docker adds when the daemon lists none, and build times in
    /// ANSI C form.
    private static func engineDetails(_ server: JSON) -> JSON {
        guard case .object(var s) = server else { return server }
        var components = s["Components"]?.array ?? []
        if let i = components.firstIndex(where: { $0["Name"]?.string == "Engine" }), case .object(var engine) = components[i],
            case .object(var details)? = engine["Details"], let built = details["BuildTime"]?.string
        {
            details["BuildTime"] = .string(ansiC(built))
            engine["Details"] = .object(details)
            components[i] = .object(engine)
        } else if !components.contains(where: { $0["Name"]?.string == "Engine" }) {
            let details: JSONObject = [
                "ApiVersion": s["ApiVersion"] ?? "", "MinAPIVersion": s["MinAPIVersion"] ?? "", "GitCommit": s["GitCommit"] ?? "",
                "GoVersion": s["GoVersion"] ?? "", "Os": s["Os"] ?? "", "Arch": s["Arch"] ?? "",
                "BuildTime": .string(ansiC(s["BuildTime"]?.string ?? "")),
                "Experimental": .string(s["Experimental"]?.bool == true ? "true" : "false"),
            ]
            components.append(["Name": "Engine", "Version": s["Version"] ?? "", "Details": .object(details)])
        }
        s["Components"] = .array(components)
        return .object(s)
    }

    /// An RFC 3339 time as Go's time.ANSIC ("Mon Jan _2 15:04:05 2006"); other text unchanged.
    static func ansiC(_ text: String) -> String {
        guard let (seconds, _) = GoTime.parse(text) else { return text }
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        _ = strftime(&buf, buf.count, "%a %b %e %H:%M:%S %Y", &tm)
        return String(cChars: buf)
    }
}
