using System.Diagnostics;
using System.Globalization;

namespace VexCtl;

/// <summary>
/// A progress bar on standard error, drawn only when standard error is a terminal (never into a log or a
/// pipe), at most ten times a second; <see cref="Dispose"/> clears it.
/// </summary>
internal sealed class ProgressBar(string what, long total) : IProgress<long>, IDisposable
{
    private const int Width = 30;
    private readonly bool _visible = !Console.IsErrorRedirected && total > 0;
    private readonly Stopwatch _sinceDrawn = Stopwatch.StartNew();
    private bool _drawn;

    public void Report(long value)
    {
        if (!_visible || (_drawn && value < total && _sinceDrawn.ElapsedMilliseconds < 100))
        {
            return;
        }

        int filled = (int)(Width * Math.Min(value, total) / total);
        Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{what} [{new string('#', filled)}{new string('.', Width - filled)}] {value}/{total}"));
        _drawn = true;
        _sinceDrawn.Restart();
    }

    public void Dispose()
    {
        if (_drawn)
        {
            Console.Error.Write("\r\u001b[K");
        }
    }
}
