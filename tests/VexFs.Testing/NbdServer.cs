using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VexFs.Testing;

/// <summary>
/// A real NBD server (nbdkit or qemu-nbd) in a child process, listening on a Unix socket in a directory the test
/// owns or on a free loopback port, killed on disposal. The constructors return once the server accepts
/// connections. A missing program fails the test (CI installs both): these tests are not skipped.
/// </summary>
public sealed class NbdServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _log;

    private NbdServer(Process process, StringBuilder log, string uri, string? socketPath, int port)
    {
        _process = process;
        _log = log;
        Uri = uri;
        SocketPath = socketPath;
        Port = port;
    }

    /// <summary>The export as an NBD URI: <c>nbd+unix:///name?socket=path</c> or <c>nbd://127.0.0.1:port/name</c>.</summary>
    public string Uri { get; }

    /// <summary>
    /// The export as a TLS URI, <c>nbds://</c> or <c>nbds+unix://</c>, whose <c>tls-certificates</c> names
    /// <paramref name="certificates"/>.
    /// </summary>
    public string TlsUri(string certificates) =>
        "nbds" + Uri["nbd".Length..] + (SocketPath is null ? "?" : "&") + "tls-certificates=" + System.Uri.EscapeDataString(certificates);

    /// <summary>The Unix socket's path, or null for TCP.</summary>
    public string? SocketPath { get; }

    /// <summary>The TCP port, or 0 for a Unix socket.</summary>
    public int Port { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the server wrote to its standard error and output.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>nbdkit</c> with <paramref name="arguments"/> (filters, the plugin and its parameters), in the
    /// foreground, exiting with the test process if it dies.
    /// </summary>
    /// <remarks>
    /// <c>--exit-with-parent</c> is the kernel's parent-death signal, which follows the thread that forked, not
    /// the process: a server started from a thread-pool thread would shut down when the pool retires that thread.
    /// Servers are therefore started from one thread that lives as long as the process.
    /// </remarks>
    public static NbdServer Nbdkit(string directory, bool tcp, params string[] arguments)
    {
        var (socket, port) = Listen(directory, tcp);
        string[] listen = tcp ? ["-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["-U", socket!];
        return Start("nbdkit", ["-f", "--exit-with-parent", .. listen, .. arguments], socket, port, exportName: string.Empty);
    }

    /// <summary>
    /// Starts <c>qemu-nbd</c> serving <paramref name="image"/> in <paramref name="format"/> (raw, qcow2) as export
    /// <paramref name="exportName"/>: persistent, several clients at once, discards passed to the image.
    /// </summary>
    public static NbdServer QemuNbd(string directory, string image, string format, bool tcp, string exportName = "disk", params string[] extra)
    {
        var (socket, port) = Listen(directory, tcp);
        string[] listen = tcp ? ["-b", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["-k", socket!];
        return Start(
            "qemu-nbd",
            ["--persistent", "--shared=8", "--discard=unmap", "-f", format, "-x", exportName, .. listen, .. extra, image],
            socket,
            port,
            exportName);
    }

    /// <summary>Runs a program to its end (qemu-img, for instance) and fails the test if it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(Find(program)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        return output;
    }

    /// <summary>Kills the server with SIGKILL, as a crash would, and waits until it is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // The process is already gone and reaped.
        }

        _process.Dispose();
    }

    private static (string? Socket, int Port) Listen(string directory, bool tcp)
    {
        if (!tcp)
        {
            return (Path.Combine(directory, $"nbd-{Guid.NewGuid():N}"[..16] + ".sock"), 0);
        }

        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return (null, port);
    }

    private static NbdServer Start(string program, string[] arguments, string? socket, int port, string exportName)
    {
        var info = new ProcessStartInfo(Find(program)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var log = new StringBuilder();
        var process = Spawner.Start(info);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        string escaped = System.Uri.EscapeDataString(exportName);
        string uri = socket is null
            ? $"nbd://127.0.0.1:{port}/{escaped}"
            : $"nbd+unix:///{escaped}?socket={socket}";
        var server = new NbdServer(process, log, uri, socket, port);
        var deadline = Stopwatch.StartNew();
        while (!Accepts(socket, port))
        {
            if (process.HasExited || deadline.Elapsed > StartTimeout)
            {
                server.Dispose();
                Assert.Fail($"{program} {string.Join(' ', arguments)} did not start listening: {server.Log}");
            }

            Thread.Sleep(20);
        }

        return server;
    }

    private static bool Accepts(string? socketPath, int port)
    {
        if (socketPath is not null && !File.Exists(socketPath))
        {
            return false;
        }

        using var socket = socketPath is null
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(socketPath is null ? new IPEndPoint(IPAddress.Loopback, port) : new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Find(string program)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"{program} is not installed; the NBD tests need nbdkit and qemu-utils (scripts/test.sh installs them).");
        return program;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }
}

/// <summary>Starts processes from one dedicated thread, which lives as long as the test process.</summary>
internal static class Spawner
{
    private static readonly System.Collections.Concurrent.BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Queue = [];

    static Spawner()
    {
        var thread = new Thread(() =>
        {
            foreach (var (info, started) in Queue.GetConsumingEnumerable())
            {
                try
                {
                    started.SetResult(Process.Start(info)!);
                }
#pragma warning disable CA1031 // Whatever the start throws belongs to the test that asked; this thread must live on.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    started.SetException(e);
                }
            }
        })
        { IsBackground = true, Name = "process spawner" };
        thread.Start();
    }

    public static Process Start(ProcessStartInfo info)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((info, started));
        return started.Task.GetAwaiter().GetResult();
    }
}
