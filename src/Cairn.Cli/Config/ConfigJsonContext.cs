using System.Text.Json.Serialization;

namespace Cairn.Cli.Config;

/// <summary>
/// Source-generated JSON for the node and client config files: camelCase, indented, strict on reading (unknown
/// and duplicate properties, missing required ones and nulls where a value is required are errors), lenient only
/// about comments and trailing commas, which hand-edited files have.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(NodeConfig))]
[JsonSerializable(typeof(ClientConfig))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext
{
}
