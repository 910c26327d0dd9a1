/// `skiff system df`: what images, containers, local volumes and the build cache take, as
/// docker's summary table, or per object with -v.
enum DiskUsageCommand {
    static let spec = CommandSpec(
        name: "df", usage: "[OPTIONS]", summary: "Show skiff disk usage",
        flags: [
            .value("format", .string, ListCommand.formatHelp),
            .bool("verbose", "v", "Show detailed information on space usage"),
        ],
        arguments: .none, run: run)

    static let summaryTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
    static let summaryRaw = "type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n"
    static let imageTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
    static let containerTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}"
    static let volumeTable = "table {{.Name}}\t{{.Links}}\t{{.Size}}"
    static let buildCacheTable = "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}"
    static let buildCacheHeader = HeaderRecord(columns: [
        "ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED", "LastUsedSince": "LAST USED",
        "UsageCount": "USAGE", "Shared": "SHARED",
    ])
    /// docker's `-v --format raw`: each object's raw format after its type.
    static let verboseRaw = """
        {{range .Images}}type: Image
        repository: {{ .Repository }}
        tag: {{.Tag}}
        digest: {{.Digest}}
        image_id: {{.ID}}
        created_at: {{.CreatedAt}}
        virtual_size: {{.Size}}

        {{end -}}
        {{range .Containers}}type: Container
        container_id: {{.ID}}
        image: {{.Image}}
        command: {{.Command}}
        created_at: {{.CreatedAt}}
        state: {{- pad .State 1 0}}
        status: {{- pad .Status 1 0}}
        names: {{.Names}}
        labels: {{- pad .Labels 1 0}}
        ports: {{- pad .Ports 1 0}}
        size: {{.Size}}\\n
        {{end -}}
        {{range .Volumes}}type: Volume
        name: {{.Name}}\\ndriver: {{.Driver}}\\n
        {{end -}}
        {{range .BuildCache}}type: Build Cache
        build_cache_id: {{.ID}}
        parent_id: {{.Parent}}
        build_cache_type: {{.CacheType}}
        description: {{.Description}}
        created_at: {{.CreatedAt}}
        created_since: {{.CreatedSince}}
        last_used_at: {{.LastUsedAt}}
        last_used_since: {{.LastUsedSince}}
        usage_count: {{.UsageCount}}
        in_use: {{.InUse}}
        shared: {{.Shared}}

        {{end -}}
        """

    static func run(_ inv: Invocation) throws {
        let usage = try inv.client.json("GET", "/system/df")
        var format = inv.flags.string("format") ?? ""
        if format.isEmpty { format = "table" }
        guard inv.flags.bool("verbose") else {
            let template = format == "table" ? summaryTable : format == "raw" ? summaryRaw : format
            Output.write(1, try Formatter(format: template).render(DiskUsageRecord.rows(usage), header: DiskUsageRecord.header))
            return
        }
        let details = self.details(usage, truncate: format.hasPrefix("table"))
        if format == "table" {
            var out = "Images space usage:\n\n"
            out += try Formatter(format: imageTable).render(details.images, header: ImageRecord.header)
            out += "\nContainers space usage:\n\n"
            out += try Formatter(format: containerTable).render(details.containers, header: ContainerRecord.header)
            out += "\nLocal Volumes space usage:\n\n"
            out += try Formatter(format: volumeTable).render(details.volumes, header: VolumeRecord.header)
            out += "\nBuild cache usage: \(Units.humanSize(0, precision: 4))\n\n"
            out += try Formatter(format: buildCacheTable).render([], header: buildCacheHeader)
            Output.write(1, out)
            return
        }
        // A custom format runs once on all of it (no newline added, as docker).
        let text = Formatter(format: format == "raw" ? verboseRaw : format).templateText
        let template: GoTemplate
        do { template = try GoTemplate(text) } catch { throw CLIError("template parsing error: \(error)") }
        do {
            Output.write(1, try template.execute(.record(details)))
        } catch {
            throw CLIError("template parsing error: \(error)")
        }
    }

    /// The rows of -v: images by their first tag, containers without the image's size.
    static func details(_ usage: JSON, truncate: Bool) -> DiskUsageDetails {
        let now = Clock.now()
        let images = (usage["Images"]?.array ?? []).map { image -> ImageRecord in
            var repository = "<none>", tag = "<none>"
            let tags = image["RepoTags"]?.strings ?? []
            let dangling = tags == ["<none>:<none>"] && image["RepoDigests"]?.strings == ["<none>@<none>"]
            if !dangling, let first = tags.first.flatMap(ImageName.init), let t = first.tag {
                repository = first.familiarName
                tag = t
            }
            return ImageRecord(summary: image, truncate: truncate, repository: repository, tag: tag, digest: "", now: now)
        }
        let containers = (usage["Containers"]?.array ?? []).map { c -> ContainerRecord in
            var summary = c
            if case .object(var o) = c {
                o["SizeRootFs"] = .number(0)
                summary = .object(o)
            }
            return ContainerRecord(summary: summary, truncate: truncate, usage: nil, now: now)
        }
        let volumes = (usage["Volumes"]?.array ?? []).map { VolumeRecord(volume: $0) }
        return DiskUsageDetails(images: images, containers: containers, volumes: volumes)
    }
}
