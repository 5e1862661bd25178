using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Told of the changes an operation makes to names and inodes, as it makes them, so that what is derived from
/// them in memory (the vector spaces and the namespace they search) follows; the owner of the operation then
/// keeps or undoes what it was told, as the operation completes or fails.
/// </summary>
internal interface IInodeObserver
{
    /// <summary>An entry <paramref name="name"/> for <paramref name="inode"/> was added to <paramref name="directory"/>.</summary>
    void Linked(long directory, string name, long inode, UnixFileType type);

    /// <summary>The entry <paramref name="name"/> for <paramref name="inode"/> was removed from <paramref name="directory"/>.</summary>
    void Unlinked(long directory, string name, long inode);

    /// <summary><paramref name="inode"/> is being freed in this operation; what belongs to it goes in the same operation, through <paramref name="editor"/>.</summary>
    void Released(long inode, FileSystemEditor editor);
}
