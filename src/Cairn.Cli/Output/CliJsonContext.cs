using System.Text.Json.Serialization;

namespace Cairn.Cli.Output;

/// <summary>Source-generated JSON for everything cairn prints with <c>--json</c>: camelCase, indented.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(StoreStatsReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}
