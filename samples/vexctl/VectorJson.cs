using System.Text.Json.Serialization;

namespace VexCtl;

/// <summary>A vector space as <c>vexctl spaces --json</c> prints it.</summary>
internal sealed record SpaceJson(string Name, int Dimension, string Metric, long Count, long IndexGeneration, long UnsavedChanges);

/// <summary>A search result as <c>vexctl search --json</c> prints it.</summary>
internal sealed record HitJson(string Path, long Inode, float Distance);

/// <summary>The JSON that vexctl prints, generated at build time (the tools are published native).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SpaceJson[]))]
[JsonSerializable(typeof(HitJson[]))]
[JsonSerializable(typeof(float[]))]
internal sealed partial class VectorJson : JsonSerializerContext;
