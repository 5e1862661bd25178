using System.Text;
using VexFs.Format.Records;

namespace VexFs.Format.Directories;

/// <summary>A name in a directory and the inode it links to.</summary>
internal readonly record struct DirectoryEntry(string Name, long Inode, UnixFileType Type, ulong Hash)
{
    /// <summary>The fixed part of an encoded entry: hash, inode, type, name length.</summary>
    public const int HeaderSize = 18;

    public int EncodedSize => HeaderSize + Encoding.UTF8.GetByteCount(Name);

    /// <summary>Orders entries as leaves store them: by hash, then by the name's bytes.</summary>
    public static int Compare(DirectoryEntry a, DirectoryEntry b)
    {
        int byHash = a.Hash.CompareTo(b.Hash);
        return byHash != 0 ? byHash : Encoding.UTF8.GetBytes(a.Name).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b.Name));
    }
}
