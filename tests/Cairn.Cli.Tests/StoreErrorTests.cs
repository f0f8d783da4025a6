using Cairn.Storage.FlatFs;
using Cairn.Storage.LogStore;

namespace Cairn.Cli.Tests;

public sealed class StoreErrorTests
{
    [Theory]
    [InlineData("stats")]
    [InlineData("compact")]
    public void A_missing_store_directory_is_one_error_line_naming_it_and_exit_1(string command)
    {
        using var temp = new TempDirectory();

        var result = CairnProcess.Run("store", command, temp.Path);

        var line = CliAssert.OneLineError(result);
        Assert.Contains(temp.Path, line, StringComparison.Ordinal);
        Assert.Contains("does not exist", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Path), "the command created the directory");
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("compact")]
    public void A_directory_that_is_not_a_store_is_refused_and_left_untouched(string command)
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        File.WriteAllText(temp["notes.txt"], "not a store");

        var result = CairnProcess.Run("store", command, temp.Path);

        var line = CliAssert.OneLineError(result);
        Assert.Contains(temp.Path, line, StringComparison.Ordinal);
        Assert.Contains("is not a Cairn store", line, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("compact")]
    public void A_store_another_process_has_open_is_reported_in_use(string command)
    {
        using var temp = new TempDirectory();
        using var store = LogStore.Open(temp.Path, new LogStoreOptions { BackgroundCompaction = false });
        store.Put("/k"u8, "v"u8);

        var result = CairnProcess.Run("store", command, temp.Path);

        var line = CliAssert.OneLineError(result);
        Assert.Contains("in use", line, StringComparison.Ordinal);
        Assert.Contains(temp.Path, line, StringComparison.Ordinal);
        Assert.Equal("v"u8.ToArray(), store.Get("/k"u8));
    }

    [Fact]
    public void Importing_from_a_missing_flatfs_directory_is_one_error_line_and_creates_nothing()
    {
        using var temp = new TempDirectory();

        var result = CairnProcess.Run("store", "import-flatfs", temp["blocks"], "--into", temp["data"]);

        var line = CliAssert.OneLineError(result);
        Assert.Contains(temp["blocks"], line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Path));
    }

    [Fact]
    public void Importing_from_a_directory_that_is_not_flatfs_is_refused_without_writing_to_it()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp["blocks"]);

        var result = CairnProcess.Run("store", "import-flatfs", temp["blocks"], "--into", temp["data"]);

        var line = CliAssert.OneLineError(result);
        Assert.Contains("is not a flatfs store", line, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp["blocks"]));
        Assert.False(Directory.Exists(temp["data"]));
    }

    [Fact]
    public void Importing_into_a_non_empty_directory_that_is_not_a_store_is_refused_without_writing_to_it()
    {
        using var temp = new TempDirectory();
        using (var flatfs = new FlatFsEngine(temp["blocks"]))
        {
            flatfs.Put("/CIQA"u8, "block"u8);
        }

        Directory.CreateDirectory(temp["home"]);
        File.WriteAllText(temp["home/notes.txt"], "not a store");

        var result = CairnProcess.Run("store", "import-flatfs", temp["blocks"], "--into", temp["home"]);

        var line = CliAssert.OneLineError(result);
        Assert.Contains(temp["home"], line, StringComparison.Ordinal);
        Assert.Contains("is not a Cairn store and is not empty", line, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(temp["home"]).Select(Path.GetFileName));
    }
}
