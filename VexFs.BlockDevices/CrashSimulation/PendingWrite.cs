namespace VexFs.BlockDevices.CrashSimulation;

/// <summary>
/// A write (or discard) that reached the device after its last flush: it may or may not survive a power
/// cut, in whole or in part.
/// </summary>
/// <param name="Sequence">The write's position among all writes the device has seen, from 0.</param>
/// <param name="Offset">The byte offset written.</param>
/// <param name="Length">The number of bytes written.</param>
/// <param name="Data">The bytes written; empty for a discard, whose range may read as zeros.</param>
public readonly record struct PendingWrite(long Sequence, long Offset, int Length, ReadOnlyMemory<byte> Data)
{
    /// <summary>Whether this is a discard rather than a write.</summary>
    public bool IsDiscard => Data.IsEmpty && Length > 0;

    /// <summary>The byte offset just past the write.</summary>
    public long End => Offset + Length;
}
