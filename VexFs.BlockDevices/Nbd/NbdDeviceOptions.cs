namespace VexFs.BlockDevices.Nbd;

/// <summary>How an <see cref="NbdBlockDevice"/> connects to its server.</summary>
public sealed record NbdDeviceOptions
{
    /// <summary>Read-write, one connection, structured replies when offered, a 10 s handshake limit, 32 MiB requests.</summary>
    public static NbdDeviceOptions Default { get; } = new();

    /// <summary>
    /// Open for reading only; writes, flushes and discards are refused. An export the server declares read-only
    /// must be opened this way.
    /// </summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// How many connections to open, from 1 to 16. More than one is used only when the server advertises
    /// NBD_FLAG_CAN_MULTI_CONN (its connections share one cache); requests are then spread across them and a flush
    /// goes to every one.
    /// </summary>
    public int Connections { get; init; } = 1;

    /// <summary>How long connecting and the handshake may take, per connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a request may wait for its reply before the connection is taken for dead: it is closed, and that
    /// request, every other one in flight and every later one fail with an <see cref="IOException"/>, as when the
    /// server goes away. <see cref="Timeout.InfiniteTimeSpan"/> (the default) waits as long as the server takes.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// The longest single request in bytes: a longer read, write or discard is split into pieces sent side by side.
    /// The server's own maximum applies when it is smaller; the protocol's interoperable default is 32 MiB. At least
    /// 64 KiB.
    /// </summary>
    public int MaxRequestLength { get; init; } = 32 << 20;

    /// <summary>
    /// Ask for structured replies (NBD_OPT_STRUCTURED_REPLY), which let the server answer reads with holes and
    /// report errors with a message. Simple replies are used when this is off or the server declines.
    /// </summary>
    public bool StructuredReplies { get; init; } = true;

    /// <summary>
    /// Make every write durable before it completes: sent with NBD_CMD_FLAG_FUA when the server offers it,
    /// otherwise followed by a flush.
    /// </summary>
    public bool WriteThrough { get; init; }
}
