namespace VexFs.Fuzz.Tests;

/// <summary>
/// Every input the fuzzer kept (its minimised corpus and the crashes it found, fixed since) runs through the
/// same target code in-process: each is refused as corrupt or accepted, and none crashes or hangs.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Every_kept_input_is_refused_or_accepted_without_a_crash(string name)
    {
        var target = FuzzTargets.Find(name)!;
        string folder = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", name);
        string[] inputs = Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
        Assert.NotEmpty(inputs);
        foreach (string input in inputs)
        {
            var run = Task.Run(() => target.Run(File.ReadAllBytes(input)), TestContext.Current.CancellationToken);
            var finished = await Task.WhenAny(run, Task.Delay(PerInput, TestContext.Current.CancellationToken));
            Assert.True(finished == run, $"{Path.GetFileName(input)} ran longer than {PerInput}");
            await run;
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_seeds_made_by_our_own_mkfs_are_accepted(string name)
    {
        var target = FuzzTargets.Find(name)!;
        foreach (byte[] seed in target.Seeds())
        {
            Assert.False(target.Run(seed), $"a {name} seed cut from a sound image was refused");
        }
    }
}
