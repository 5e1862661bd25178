using System.Runtime.CompilerServices;
using VexFs.Core.Editing;
using VexFs.Format.Records;

namespace VexFs.Core.Vectors;

/// <summary>
/// Every name in the tree, in memory, both ways (an inode's names, a directory's children), so that a search
/// can tell at once which files a directory holds, directly or below, and name its results. Built by one walk
/// of the tree when a filesystem with vector spaces opens; kept current by <see cref="VectorCatalog"/>.
/// </summary>
internal sealed class NamespaceIndex
{
    // An inode's first name, and its further names (hard links) apart: one entry per file, no list for most.
    private readonly Dictionary<long, (long Parent, string Name)> _first = [];
    private readonly Dictionary<long, List<(long Parent, string Name)>> _more = [];
    private readonly Dictionary<long, HashSet<long>> _children = [];
    private readonly long _root;

    private NamespaceIndex(long root) => _root = root;

    /// <summary>The most names the walk makes room for before it starts: beyond it, the map grows as it fills.</summary>
    private const long MaxPresized = 1 << 22;

    /// <summary>Walks the tree under the root.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NamespaceIndex Build(FileSystemEditor editor)
    {
        var index = new NamespaceIndex(editor.RootInode);
        // One name per inode in use, bar hard links: the map sized for them at once is filled without rehashing
        // (twenty rehashes at a million names, each a new table to fault in).
        var superblock = editor.Superblock;
        index._first.EnsureCapacity((int)Math.Clamp(superblock.InodeCount - superblock.FreeInodes, 0, MaxPresized));
        var pending = new Stack<long>();
        pending.Push(editor.RootInode);
        while (pending.Count > 0)
        {
            long directory = pending.Pop();
            foreach (var entry in editor.List(directory))
            {
                index.Add(directory, entry.Name, entry.Inode);
                if (entry.Type == UnixFileType.Directory)
                {
                    pending.Push(entry.Inode);
                }
            }
        }

        return index;
    }

    /// <summary>Whether <paramref name="inode"/> has a name (an open file whose last name went has none).</summary>
    public bool IsLinked(long inode) => inode == _root || _first.ContainsKey(inode);

    public void Add(long directory, string name, long inode)
    {
        if (!_first.TryAdd(inode, (directory, name)))
        {
            if (!_more.TryGetValue(inode, out var more))
            {
                _more[inode] = more = [];
            }

            more.Add((directory, name));
        }

        if (!_children.TryGetValue(directory, out var children))
        {
            _children[directory] = children = [];
        }

        children.Add(inode);
    }

    public void Remove(long directory, string name, long inode)
    {
        if (!_first.TryGetValue(inode, out var first))
        {
            return;
        }

        _more.TryGetValue(inode, out var more);
        if (first == (directory, name))
        {
            if (more is { Count: > 0 })
            {
                _first[inode] = more[0];
                more.RemoveAt(0);
            }
            else
            {
                _first.Remove(inode);
            }
        }
        else
        {
            more?.Remove((directory, name));
        }

        if (more is { Count: 0 })
        {
            _more.Remove(inode);
        }

        if (!Links(inode).Any(l => l.Parent == directory) && _children.TryGetValue(directory, out var children))
        {
            children.Remove(inode);
            if (children.Count == 0)
            {
                _children.Remove(directory);
            }
        }
    }

    /// <summary>Every name of <paramref name="inode"/>, its first first.</summary>
    private IEnumerable<(long Parent, string Name)> Links(long inode)
    {
        if (_first.TryGetValue(inode, out var first))
        {
            yield return first;
        }

        if (_more.TryGetValue(inode, out var more))
        {
            foreach (var link in more)
            {
                yield return link;
            }
        }
    }

    /// <summary>Adds to <paramref name="into"/> every inode <paramref name="wanted"/> admits that <paramref name="directory"/> names, or holds anywhere below it.</summary>
    public void CollectUnder(long directory, bool subtree, Func<long, bool> wanted, HashSet<long> into)
    {
        var pending = new Stack<long>();
        pending.Push(directory);
        while (pending.Count > 0)
        {
            if (!_children.TryGetValue(pending.Pop(), out var children))
            {
                continue;
            }

            foreach (long child in children)
            {
                if (wanted(child))
                {
                    into.Add(child);
                }

                if (subtree && _children.ContainsKey(child))
                {
                    pending.Push(child);
                }
            }
        }
    }

    /// <summary>
    /// The path of a name of <paramref name="inode"/> in <paramref name="directory"/> (named by it, or anywhere
    /// below it with <paramref name="subtree"/>), preferring one there, else its first name; null when it has none.
    /// </summary>
    public string? PathOf(long inode, long directory, bool subtree = true)
    {
        if (inode == _root)
        {
            return "/";
        }

        return NameInScope(inode, directory, subtree) is { } link ? Joined(link.Parent, link.Name) : null;
    }

    /// <summary>
    /// As <see cref="PathOf(long, long, bool)"/>, for one of several results that often share a directory:
    /// <paramref name="last"/> holds the last directory whose path was built and that path, used again when the
    /// next result lies in the same one.
    /// </summary>
    public string? PathOf(long inode, long directory, bool subtree, ref (long Directory, string? Path) last)
    {
        if (inode == _root || NameInScope(inode, directory, subtree) is not { } link)
        {
            return PathOf(inode, directory, subtree);
        }

        if (last.Path is null || last.Directory != link.Parent)
        {
            last = (link.Parent, link.Parent == _root ? string.Empty : PathOf(link.Parent, _root));
        }

        return string.Concat(last.Path, "/", link.Name);
    }

    /// <summary>The name of <paramref name="inode"/> that a path shows: one in the scope, else its first; null when it has none.</summary>
    private (long Parent, string Name)? NameInScope(long inode, long directory, bool subtree) =>
        !_first.TryGetValue(inode, out var first) ? null
        : !_more.ContainsKey(inode) || InScope(first, directory, subtree) ? first
        : LinkInScope(inode, directory, subtree, first);

    /// <summary>A name of a hard-linked <paramref name="inode"/> in the scope, or <paramref name="otherwise"/>.</summary>
    private (long Parent, string Name) LinkInScope(long inode, long directory, bool subtree, (long Parent, string Name) otherwise) =>
        Links(inode).FirstOrDefault(link => InScope(link, directory, subtree), otherwise);

    private bool InScope((long Parent, string Name) link, long directory, bool subtree) =>
        subtree ? IsAtOrBelow(link.Parent, directory) : link.Parent == directory;

    /// <summary>The path of <paramref name="name"/> in <paramref name="parent"/>, built in one string from the names up to the root.</summary>
    private string Joined(long parent, string name)
    {
        var length = name.Length + 1;
        for (var at = parent; at != _root && _first.TryGetValue(at, out var up); at = up.Parent)
        {
            length += up.Name.Length + 1;
        }

        return string.Create(length, (Index: this, Parent: parent, Name: name), static (path, state) =>
        {
            var end = path.Length - state.Name.Length;
            state.Name.CopyTo(path[end..]);
            path[--end] = '/';
            for (var at = state.Parent; at != state.Index._root && state.Index._first.TryGetValue(at, out var up); at = up.Parent)
            {
                end -= up.Name.Length;
                up.Name.CopyTo(path[end..]);
                path[--end] = '/';
            }
        });
    }

    private bool IsAtOrBelow(long candidate, long directory)
    {
        for (long at = candidate; ; at = _first[at].Parent)
        {
            if (at == directory)
            {
                return true;
            }

            if (at == _root || !_first.ContainsKey(at))
            {
                return false;
            }
        }
    }
}
