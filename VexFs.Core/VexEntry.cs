using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>A name in a directory.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Type">The file type.</param>
/// <param name="Inode">The inode number it links to.</param>
/// <param name="Size">The size in bytes of what it links to.</param>
public readonly record struct VexEntry(string Name, UnixFileType Type, long Inode, long Size);

/// <summary>What <c>stat</c> tells of a file.</summary>
/// <param name="Inode">The inode number.</param>
/// <param name="Type">The file type.</param>
/// <param name="Permissions">The permission bits (e.g. 0644).</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="LinkCount">The number of names that link to it.</param>
/// <param name="Uid">The owner.</param>
/// <param name="Gid">The group.</param>
/// <param name="Blocks">The blocks charged to it.</param>
/// <param name="ModifiedTime">The last data modification.</param>
/// <param name="ChangedTime">The last inode change.</param>
/// <param name="AccessedTime">The last access (set by <see cref="VexFileSystem.SetInfo(long, VexInfoChange)"/>; reads do not update it, as with noatime).</param>
/// <param name="CreatedTime">The creation (birth) time.</param>
public readonly record struct VexFileInfo(long Inode, UnixFileType Type, int Permissions, long Size, int LinkCount, uint Uid, uint Gid, long Blocks, DateTimeOffset ModifiedTime, DateTimeOffset ChangedTime, DateTimeOffset AccessedTime, DateTimeOffset CreatedTime)
{
    /// <summary>The major device number of a device file (0 for any other file).</summary>
    public uint DeviceMajor { get; init; }

    /// <summary>The minor device number of a device file (0 for any other file).</summary>
    public uint DeviceMinor { get; init; }
}

/// <summary>A change of attributes for <see cref="VexFileSystem.SetInfo(string, VexInfoChange)"/>; null leaves a field as it is.</summary>
public sealed record VexInfoChange
{
    /// <summary>The new permission bits (0 to 0xFFF: setuid, setgid, sticky and rwx).</summary>
    public int? Permissions { get; init; }

    /// <summary>The new owner.</summary>
    public uint? Uid { get; init; }

    /// <summary>The new group.</summary>
    public uint? Gid { get; init; }

    /// <summary>The new access time.</summary>
    public DateTimeOffset? AccessedTime { get; init; }

    /// <summary>The new modification time.</summary>
    public DateTimeOffset? ModifiedTime { get; init; }
}

/// <summary>An entry of a directory read page by page with <see cref="VexFileSystem.ReadDirectory"/>.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Type">The file type.</param>
/// <param name="Inode">The inode number it links to.</param>
/// <param name="NextCookie">The cookie that resumes the listing after this entry.</param>
public readonly record struct VexDirectoryEntry(string Name, UnixFileType Type, long Inode, long NextCookie);

/// <summary>How <see cref="VexFileSystem.SetXattr(long, string, byte[], XattrMode)"/> treats an existing attribute.</summary>
public enum XattrMode
{
    /// <summary>Create the attribute or replace its value.</summary>
    CreateOrReplace,

    /// <summary>Fail when the attribute exists (XATTR_CREATE).</summary>
    Create,

    /// <summary>Fail when the attribute does not exist (XATTR_REPLACE).</summary>
    Replace,
}

/// <summary>What <c>statfs</c> tells of the filesystem.</summary>
/// <param name="BlockSize">The block size in bytes.</param>
/// <param name="TotalBlocks">All blocks.</param>
/// <param name="FreeBlocks">Blocks not in use.</param>
/// <param name="TotalInodes">All inodes.</param>
/// <param name="FreeInodes">Inodes not in use.</param>
public readonly record struct VexSpaceInfo(int BlockSize, long TotalBlocks, long FreeBlocks, long TotalInodes, long FreeInodes);
