using System.Security.Cryptography;
using VexFs.BlockDevices;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>
/// Judges an image a power cut left, as a user would meet it: fsck first, before anything replays the journal
/// (a filesystem marked clean must be clean), then fsck's own recovery, then the library's; both must reach a
/// state the durability contract allows, and the checker must stay clean after the library has used it.
/// </summary>
internal static class CrashOracle
{
    /// <summary>Returns what is wrong with <paramref name="image"/>, or null; the image itself is left as it was.</summary>
    /// <param name="image">The crash image.</param>
    /// <param name="allowed">The trees (see <see cref="Snapshot"/>) the contract allows after recovery.</param>
    public static string? Judge(MemoryBlockDevice image, IReadOnlyCollection<string> allowed)
    {
        try
        {
            if (FsckFirst(image, out var repaired) is { } problem)
            {
                return problem;
            }

            using (repaired)
            {
                if (Recovered(repaired, allowed, "after fsck -y -f") is { } afterFsck)
                {
                    return afterFsck;
                }
            }

            using var opened = image.Snapshot();
            return Recovered(opened, allowed, "after the library's recovery");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"recovery failed with {e}";
        }
    }

    /// <summary>
    /// What fsck says of the image before the library has touched it: a filesystem that fsck -n passes as
    /// clean must be clean under -f, and fsck -y -f must need nothing but the journal's replay and the
    /// orphans' release. <paramref name="repaired"/> is a copy fsck -y -f recovered.
    /// </summary>
    public static string? FsckFirst(MemoryBlockDevice image, out MemoryBlockDevice repaired)
    {
        using (var plain = image.Snapshot())
        {
            var report = FileSystemChecker.Check(plain, CheckOptions.Default);
            if (report.SkippedClean && Findings(FileSystemChecker.Check(plain, new CheckOptions { Force = true })) is { } hidden)
            {
                repaired = plain.Snapshot();
                return $"fsck -n says clean, but fsck -n -f finds: {hidden}";
            }
        }

        repaired = image.Snapshot();
        var recovery = FileSystemChecker.Check(repaired, new CheckOptions { Repair = true, Force = true });
        return Findings(recovery) is { } found ? $"fsck -y -f had to repair more than a journal replay: {found}" : null;
    }

    /// <summary>The tree as text (see <see cref="Describe"/>).</summary>
    public static string Snapshot(VexFileSystem fs)
    {
        var tree = new SortedDictionary<string, byte[]?>(StringComparer.Ordinal);
        void Walk(string directory)
        {
            foreach (var entry in fs.EnumerateEntries(directory))
            {
                string path = (directory == "/" ? string.Empty : directory) + "/" + entry.Name;
                if (entry.Type == UnixFileType.Directory)
                {
                    tree[path] = null;
                    Walk(path);
                }
                else
                {
                    using var stream = fs.OpenFile(path, FileMode.Open, FileAccess.Read);
                    var content = new byte[stream.Length];
                    stream.ReadExactly(content);
                    tree[path] = content;
                }
            }
        }

        Walk("/");
        return Describe(tree);
    }

    /// <summary>A tree (directories as null) as text: every path, directories with a slash, files with the SHA-256 of their bytes.</summary>
    public static string Describe(SortedDictionary<string, byte[]?> tree) =>
        string.Join('\n', tree.Select(kv => kv.Value is null ? kv.Key + "/" : $"{kv.Key} {Convert.ToHexString(SHA256.HashData(kv.Value))}"));

    private static string? Recovered(MemoryBlockDevice image, IReadOnlyCollection<string> allowed, string how)
    {
        string tree;
        using (var fs = VexFileSystem.Open(image, leaveOpen: true))
        {
            tree = Snapshot(fs);
            using var probe = fs.OpenFile("/crash-probe", FileMode.CreateNew);
            probe.Write(new byte[2500]);
        }

        if (!allowed.Contains(tree))
        {
            return $"{how}, a tree no prefix of the operations left:\n{tree}\nallowed:\n{string.Join("\n--\n", allowed)}";
        }

        return Findings(FileSystemChecker.Check(image, new CheckOptions { Force = true })) is { } found
            ? $"{how}, fsck -n -f after using the filesystem: {found}"
            : null;
    }

    private static string? Findings(CheckReport report) =>
        report.Findings.Count == 0 && report.OperationalError is null ? null : $"{string.Join("; ", report.Findings)} {report.OperationalError}";
}
