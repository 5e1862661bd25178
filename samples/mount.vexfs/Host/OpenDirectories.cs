using System.Collections.Concurrent;
using VexFs.Format.VectorArea;

namespace MountVexfs.Host;

/// <summary>
/// The kernel's directory handles, each with the search query staged on it piece by piece (a query too long
/// for one ioctl), until RELEASEDIR. Thread-safe.
/// </summary>
internal sealed class OpenDirectories
{
    private readonly ConcurrentDictionary<ulong, float[]?> _staged = new();
    private long _last;

    public ulong Open()
    {
        ulong handle = (ulong)Interlocked.Increment(ref _last);
        _staged[handle] = null;
        return handle;
    }

    public void Close(ulong handle) => _staged.TryRemove(handle, out _);

    /// <summary>
    /// Copies <paramref name="components"/> to index <paramref name="first"/> of the query staged on
    /// <paramref name="handle"/>, a new one of <paramref name="dimension"/> components when
    /// <paramref name="first"/> is 0.
    /// </summary>
    /// <exception cref="ArgumentException">The dimension is out of range, or the piece does not continue a query of it.</exception>
    public void Stage(ulong handle, int dimension, int first, ReadOnlySpan<float> components)
    {
        var query = _staged.GetValueOrDefault(handle);
        if (first == 0)
        {
            if (dimension is < 1 or > VectorSpaceDefinition.MaxDimension)
            {
                throw new ArgumentException($"A staged query has 1 to {VectorSpaceDefinition.MaxDimension} components, not {dimension}.");
            }

            query = new float[dimension];
        }
        else if (query is null || query.Length != dimension)
        {
            throw new ArgumentException($"A piece from component {first} continues no staged query of {dimension} components (stage from 0 first).");
        }

        components.CopyTo(query.AsSpan(first));
        _staged[handle] = query;
    }

    /// <summary>The query staged on <paramref name="handle"/>.</summary>
    /// <exception cref="ArgumentException">None was staged.</exception>
    public float[] Staged(ulong handle) => _staged.GetValueOrDefault(handle)
        ?? throw new ArgumentException($"No query is staged on directory handle {handle}.");
}
