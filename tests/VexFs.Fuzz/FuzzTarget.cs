using VexFs.Format;

namespace VexFs.Fuzz;

/// <summary>
/// One decoder, or one whole-image operation, fed with arbitrary bytes. Corruption reported as documented
/// (<see cref="InvalidFileSystemException"/> and the other <see cref="IOException"/> refusals) is a pass;
/// any other exception escapes and is a crash. Its seeds are cut from the sample images.
/// </summary>
internal sealed record FuzzTarget(string Name, Action<byte[]> Body, Func<IEnumerable<byte[]>> Seeds)
{
    /// <summary>Runs the target; returns whether the input was refused as corrupt.</summary>
    public bool Run(byte[] input)
    {
        try
        {
            Body(input);
            return false;
        }
        catch (IOException)
        {
            // InvalidFileSystemException, CorruptIndexException, DiskFullException and the refusals of the API.
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            // A read-only filesystem (latched after damage was found) refuses writes.
            return true;
        }
    }
}
