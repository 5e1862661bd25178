using Microsoft.Extensions.Logging;

namespace VexFs.Core.Tests;

/// <summary>A logger factory that keeps every entry its loggers are given, for tests to read.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("Entries are kept in the list.");

    public void Dispose()
    {
    }

    internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

    private sealed class ListLogger(ListLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (factory._entries)
            {
                factory._entries.Add(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), exception));
            }
        }
    }
}
