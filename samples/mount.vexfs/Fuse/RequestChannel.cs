using System.IO.Pipelines;

namespace MountVexfs.Fuse;

/// <summary>
/// The requests coming from /dev/fuse, through a pipe: one thread reads the device into the pipe's pooled
/// segments (one whole request per read), and the session takes requests off the other end, each into a
/// pooled buffer of its own size. The pipe's thresholds hold the device reader back while the workers are
/// behind.
/// </summary>
internal sealed class RequestChannel
{
    private readonly FuseDevice _device;
    private readonly int _maxRequest;
    private readonly Pipe _pipe;

    /// <param name="device">The open /dev/fuse.</param>
    /// <param name="maxRequest">The largest request the kernel may send (max_write and its headers).</param>
    public RequestChannel(FuseDevice device, int maxRequest)
    {
        _device = device;
        _maxRequest = maxRequest;
        _pipe = new Pipe(new PipeOptions(
            minimumSegmentSize: maxRequest,
            pauseWriterThreshold: 8L * maxRequest,
            resumeWriterThreshold: 4L * maxRequest,
            useSynchronizationContext: false));
    }

    /// <summary>Reads the device into the pipe until the filesystem is unmounted or the device is woken; run on a thread of its own.</summary>
    public void Fill()
    {
        var writer = _pipe.Writer;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(_maxRequest);
                int read = _device.Read(memory.Span);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                if (writer.FlushAsync().AsTask().GetAwaiter().GetResult().IsCompleted)
                {
                    break;
                }
            }
        }
        catch (IOException e)
        {
            failure = e;
        }

        writer.Complete(failure);
    }

    /// <summary>The next request, or null once the device has no more (unmounted, or woken to stop).</summary>
    public async ValueTask<FuseRequest?> NextAsync()
    {
        var reader = _pipe.Reader;
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var request = FuseRequest.TakeFrom(ref buffer);
            if (request is not null)
            {
                reader.AdvanceTo(buffer.Start);
                return request;
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                await reader.CompleteAsync().ConfigureAwait(false);
                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
