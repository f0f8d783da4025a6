using System.Text.Json.Serialization;

namespace Cairn.Cli.Admin;

/// <summary>Source-generated JSON for <c>cairn admin … --json</c>: camelCase, indented.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(IReadOnlyList<NodeReport>))]
[JsonSerializable(typeof(IReadOnlyList<GroupReport>))]
[JsonSerializable(typeof(SlotsReport))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
}
