using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>A name in a directory.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Type">The file type.</param>
/// <param name="Inode">The inode number it links to.</param>
public readonly record struct VexEntry(string Name, UnixFileType Type, long Inode);

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
public readonly record struct VexFileInfo(long Inode, UnixFileType Type, int Permissions, long Size, int LinkCount, uint Uid, uint Gid, long Blocks, DateTimeOffset ModifiedTime, DateTimeOffset ChangedTime);

/// <summary>What <c>statfs</c> tells of the filesystem.</summary>
/// <param name="BlockSize">The block size in bytes.</param>
/// <param name="TotalBlocks">All blocks.</param>
/// <param name="FreeBlocks">Blocks not in use.</param>
/// <param name="TotalInodes">All inodes.</param>
/// <param name="FreeInodes">Inodes not in use.</param>
public readonly record struct VexSpaceInfo(int BlockSize, long TotalBlocks, long FreeBlocks, long TotalInodes, long FreeInodes);
