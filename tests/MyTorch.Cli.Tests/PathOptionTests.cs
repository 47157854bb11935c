using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>Errors about --data, --model, --out and --graph name the option and say whether the path is missing or the wrong kind.</summary>
public class PathOptionTests
{
    private static string OneErrorLine(CliRunner.Result result)
    {
        Assert.Equal(2, result.ExitCode);
        return Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Data_and_model_tell_a_missing_path_from_the_wrong_kind()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["file"], "x");
        var missing = OneErrorLine(CliRunner.Run("train", "--data", folder["nothing"], "--out", folder["o1"]));
        Assert.Contains("for option --data: it does not exist", missing, StringComparison.Ordinal);
        var file = OneErrorLine(CliRunner.Run("train", "--data", folder["file"], "--out", folder["o2"]));
        Assert.Contains("for option --data: it is a file, not a folder", file, StringComparison.Ordinal);
        var missingModel = OneErrorLine(CliRunner.Run("eval", "--model", folder["nothing"]));
        Assert.Contains("--model", missingModel, StringComparison.Ordinal);
        Assert.Contains("does not exist", missingModel, StringComparison.Ordinal);
        var folderModel = OneErrorLine(CliRunner.Run("eval", "--model", folder.Path));
        Assert.Contains("for option --model: it is a folder", folderModel, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_names_itself_never_a_file_inside()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["file"], "x");
        var isFile = OneErrorLine(CliRunner.Run("train", "--epochs", "0", "--out", folder["file"]));
        Assert.Contains("for option --out: it is a file; expected a folder", isFile, StringComparison.Ordinal);
        var under = OneErrorLine(CliRunner.Run("train", "--epochs", "0", "--out", Path.Combine(folder["file"], "run")));
        Assert.Contains("for option --out:", under, StringComparison.Ordinal);
        Assert.Contains("is a file, so no folder can be made inside it", under, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            // /proc/1 is a folder nobody can create files in, root included.
            var unwritable = OneErrorLine(CliRunner.Run("train", "--epochs", "0", "--out", "/proc/1"));
            Assert.Contains("for option --out: the folder /proc/1 cannot be written", unwritable, StringComparison.Ordinal);
            Assert.DoesNotContain(".tmp", unwritable, StringComparison.Ordinal);
            Assert.DoesNotContain(".lock", unwritable, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Predict_output_names_itself_never_the_temporary_file()
    {
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--epochs", "0", "--hidden", "8", "--json", "--out", folder["run"]);
        Assert.True(train.ExitCode == 0, train.Error);
        byte[] header = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28];
        File.WriteAllBytes(folder["one.idx"], [.. header, .. new byte[784]]);
        File.WriteAllText(folder["file"], "x");
        string[] Predict(string output) => [OneErrorLine(CliRunner.Run("predict", "--model", Path.Combine(folder["run"], "model.safetensors"), "--input", folder["one.idx"], "--output", output))];
        Assert.Contains("for option --output: it is a folder; expected a file name", Predict(folder.Path)[0], StringComparison.Ordinal);
        Assert.Contains("is a file, not a folder", Predict(Path.Combine(folder["file"], "p.csv"))[0], StringComparison.Ordinal);
        Assert.Contains("does not exist", Predict(Path.Combine(folder["none"], "p.csv"))[0], StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            var line = Predict("/proc/1/p.csv")[0];
            Assert.Contains("for option --output: it cannot be written in /proc/1", line, StringComparison.Ordinal);
            Assert.DoesNotContain(".tmp", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Explain_rejects_a_graph_file_it_cannot_draw_before_explaining()
    {
        var result = CliRunner.Run("explain", "--graph", "g.txt");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains("Invalid value 'g.txt' for option --graph", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(CliRunner.RepositoryRoot, "g.txt")));
    }
}
