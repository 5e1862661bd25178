using VexFs.BlockDevices;

namespace VexFs.Core.Tests;

/// <summary>
/// A device that passes everything to <paramref name="inner"/>, which it owns: tests derive from it to watch
/// or slow down writes, overriding <see cref="WriteCore"/> alone.
/// </summary>
/// <param name="inner">The device underneath.</param>
/// <param name="role">What the wrapper does, put before the inner device's description.</param>
internal abstract class ForwardingDevice(BlockDevice inner, string role) : BlockDevice
{
    public override int SectorSize => inner.SectorSize;

    public override long Length => inner.Length;

    public override bool IsReadOnly => inner.IsReadOnly;

    public override string Description => $"{role} {inner.Description}";

    protected BlockDevice Inner => inner;

    protected override void ReadCore(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

    protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer) => inner.Write(offset, buffer);

    protected override void FlushCore() => inner.Flush();

    protected override void DiscardCore(long offset, long length) => inner.Discard(offset, length);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
