namespace VexFs.Mount.Tests;

/// <summary>The tests that mount filesystems run one at a time: each starts hosts and loads the two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Mounts
{
    public const string Name = "mounts";
}
