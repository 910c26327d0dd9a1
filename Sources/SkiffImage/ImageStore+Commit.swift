import SkiffOCI

extension ImageStore {
    /// What a commit records besides the layer.
    public struct Commit: Sendable {
        /// The new image's execution defaults (the container's configuration, changes applied).
        public var config: ImageConfig.Config
        public var author: String
        public var comment: String
        /// The history entry's `created_by` (the container's command).
        public var createdBy: String
        /// A name for the new image.
        public var tag: String?

        public init(config: ImageConfig.Config, author: String = "", comment: String = "", createdBy: String = "", tag: String? = nil) {
            self.config = config
            self.author = author
            self.comment = comment
            self.createdBy = createdBy
            self.tag = tag
        }
    }

    /// `docker commit`: a child of `parent` with `layer` on top (none: the history entry is an
    /// empty layer, as Docker records a commit without changes), `commit.config` as its
    /// defaults and one history entry more; `parent` becomes its parent.
    public func commit(_ commit: Commit, parent: ImageRecord, layer: LayerRecord?) throws(ImageError) -> ImageRecord {
        var config = try config(of: parent)
        let created = Self.now()
        config.created = created
        config.author = commit.author.isEmpty ? nil : commit.author
        config.config = commit.config
        if let layer { config.rootfs.diffIDs.append(layer.diffID) }
        config.history = (config.history ?? []) + [ImageConfig.History(
            created: created, createdBy: commit.createdBy.isEmpty ? nil : commit.createdBy,
            author: commit.author.isEmpty ? nil : commit.author, comment: commit.comment.isEmpty ? nil : commit.comment,
            emptyLayer: layer == nil ? true : nil)]
        return try add(
            config: config, layers: parent.layers + (layer.map { [$0] } ?? []), tags: commit.tag.map { [$0] } ?? [],
            parent: parent.id)
    }
}
