using VexFs.Format;

namespace VexFs.Core.Tests;

/// <summary>Assertions on refusals: the exact kind, whatever exception type carries it.</summary>
internal static class Refusals
{
    public static Exception AssertKind(VexErrorKind kind, Action action)
    {
        var e = Assert.ThrowsAny<Exception>(action);
        Assert.True(VexErrors.KindOf(e) == kind, $"expected {kind}, got {e.GetType().Name} ({VexErrors.KindOf(e)?.ToString() ?? "no kind"}): {e.Message}");
        return e;
    }
}
