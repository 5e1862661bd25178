using VexFs.Fuzz.Targets;

namespace VexFs.Fuzz;

/// <summary>Every fuzz target, by the name scripts/fuzz.sh and the corpus folders use.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("superblock", SuperblockTarget.Run, SuperblockTarget.Seeds),
        new("group-descriptors", GroupDescriptorTarget.Run, GroupDescriptorTarget.Seeds),
        new("inode", InodeTarget.Run, InodeTarget.Seeds),
        new("extent-node", ExtentNodeTarget.Run, ExtentNodeTarget.Seeds),
        new("directory-leaf", DirectoryLeafTarget.Run, DirectoryLeafTarget.Seeds),
        new("directory-index", DirectoryIndexTarget.Run, DirectoryIndexTarget.Seeds),
        new("xattr", XattrTarget.Run, XattrTarget.Seeds),
        new("journal-record", JournalRecordTarget.Run, JournalRecordTarget.Seeds),
        new("vector-table", VectorTableTarget.Run, VectorTableTarget.Seeds),
        new("vector-pages", VectorPagesTarget.Run, VectorPagesTarget.Seeds),
        new("recovery", RecoveryTarget.Run, RecoveryTarget.Seeds),
        new("fsck", FsckTarget.Run, FsckTarget.Seeds),
        new("open-walk", OpenWalkTarget.Run, OpenWalkTarget.Seeds),
        new("fsck-sealed", SealedFsckTarget.Run, SealedFsckTarget.Seeds),
        new("open-walk-sealed", SealedOpenWalkTarget.Run, SealedOpenWalkTarget.Seeds),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
