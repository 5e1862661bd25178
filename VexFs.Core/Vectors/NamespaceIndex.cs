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
    private readonly Dictionary<long, List<(long Parent, string Name)>> _links = [];
    private readonly Dictionary<long, HashSet<long>> _children = [];
    private readonly long _root;

    private NamespaceIndex(long root) => _root = root;

    /// <summary>Walks the tree under the root.</summary>
    public static NamespaceIndex Build(FileSystemEditor editor)
    {
        var index = new NamespaceIndex(editor.RootInode);
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
    public bool IsLinked(long inode) => inode == _root || _links.ContainsKey(inode);

    public void Add(long directory, string name, long inode)
    {
        if (!_links.TryGetValue(inode, out var links))
        {
            _links[inode] = links = [];
        }

        links.Add((directory, name));
        if (!_children.TryGetValue(directory, out var children))
        {
            _children[directory] = children = [];
        }

        children.Add(inode);
    }

    public void Remove(long directory, string name, long inode)
    {
        if (!_links.TryGetValue(inode, out var links))
        {
            return;
        }

        links.Remove((directory, name));
        if (links.Count == 0)
        {
            _links.Remove(inode);
        }

        if (!links.Exists(l => l.Parent == directory) && _children.TryGetValue(directory, out var children))
        {
            children.Remove(inode);
            if (children.Count == 0)
            {
                _children.Remove(directory);
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

        if (!_links.TryGetValue(inode, out var links))
        {
            return null;
        }

        var (parent, name) = links.Find(l => subtree ? IsAtOrBelow(l.Parent, directory) : l.Parent == directory) is { Name: not null } inside ? inside : links[0];
        return parent == _root ? "/" + name : PathOf(parent, directory) + "/" + name;
    }

    private bool IsAtOrBelow(long candidate, long directory)
    {
        for (long at = candidate; ; at = _links[at][0].Parent)
        {
            if (at == directory)
            {
                return true;
            }

            if (at == _root || !_links.ContainsKey(at))
            {
                return false;
            }
        }
    }
}
