using Cairn.Storage.FlatFs;

namespace Cairn.Storage.Tests.FlatFs;

/// <summary>Records every report, on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class RecordingProgress : IProgress<ImportProgress>
{
    public List<ImportProgress> Reports { get; } = [];

    public void Report(ImportProgress value) => Reports.Add(value);
}
