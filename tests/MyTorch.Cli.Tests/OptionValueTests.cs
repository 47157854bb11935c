using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// A value of the wrong kind, out of range, or a mistyped option or command: one line naming the option, what was given
/// and what is allowed, exit code 2, never a stack trace or a .NET type name; a typo gets a suggestion, not the usage.
/// </summary>
public class OptionValueTests
{
    private static void AssertOneCleanError(CliRunner.Result result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}; stderr: {result.Error}");
        var first = result.Error.Split('\n')[0];
        Assert.StartsWith("error: ", first, StringComparison.Ordinal);
        foreach (var fragment in fragments) Assert.Contains(fragment, first, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train", "--epochs", "abc", "a whole number")]
    [InlineData("train", "--epochs", "1e9", "a whole number")]
    [InlineData("train", "--batch-size", "1.5", "a whole number")]
    [InlineData("train", "--lr", "abc", "a number")]
    [InlineData("train", "--threads", "x", "a whole number")]
    [InlineData("bench", "--epochs", "x", "a whole number")]
    [InlineData("explain", "--digits", "x", "a whole number")]
    public void AValueOfTheWrongKind_IsOneLineNamingTheOption(string command, string option, string value, string expected)
    {
        AssertOneCleanError(CliRunner.Run(command, option, value), $"Invalid value '{value}' for option {option}", expected);
    }

    [Fact]
    public void AValueOutOfRange_SaysWhatIsAllowed()
    {
        AssertOneCleanError(CliRunner.Run("train", "--batch-size", "1.5"), "--batch-size"); // no second error about 0
        Assert.DoesNotContain("'0'", CliRunner.Run("train", "--batch-size", "1.5").Error, StringComparison.Ordinal);
        AssertOneCleanError(CliRunner.Run("explain", "--digits", "30"), "--digits", "1 to 17");
        AssertOneCleanError(CliRunner.Run("train", "--threads", "0"), "--threads", "a positive number");
    }

    [Fact]
    public void AMistypedOption_GetsASuggestion_AndNotTheWholeUsage()
    {
        var result = CliRunner.Run("train", "--epoch", "3");
        AssertOneCleanError(result, "unknown option '--epoch'", "did you mean --epochs?");
        Assert.DoesNotContain("Usage:", result.Error, StringComparison.Ordinal);
        Assert.Contains("mytorch train --help", result.Error, StringComparison.Ordinal);
        AssertOneCleanError(CliRunner.Run("train", "--zzz"), "unknown option '--zzz'");
    }

    [Fact]
    public void AMistypedCommand_GetsASuggestion()
    {
        var result = CliRunner.Run("predcit");
        AssertOneCleanError(result, "unknown command 'predcit'", "did you mean predict?");
        Assert.DoesNotContain("Usage:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputToAFile_HasNoEscapeCodes()
    {
        // The runner redirects stdout, as a pipe or a file would: eval's bold accuracy and coloured table come out plain.
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--epochs", "1", "--hidden", "16", "--out", folder.Path);
        Assert.True(train.ExitCode == 0, train.Error);
        var eval = CliRunner.Run("eval", "--model", Path.Combine(folder.Path, "model.safetensors"));
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Contains("accuracy", eval.Output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', eval.Output);
        Assert.DoesNotContain('\u001b', eval.Error);
    }

    [Fact]
    public void SummaryPrintsEveryLayerAndTheTotals()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, CliRunner.Run("train", "--epochs", "1", "--hidden", "16", "--out", folder.Path).ExitCode);
        var summary = CliRunner.Run("summary", "--model", Path.Combine(folder.Path, "model.safetensors"));
        Assert.True(summary.ExitCode == 0, summary.Error);
        Assert.Contains("Linear(in_features=784, out_features=16, bias=True)", summary.Output, StringComparison.Ordinal);
        Assert.Contains("(1, 10)", summary.Output, StringComparison.Ordinal);
        Assert.Contains($"total parameters: {784 * 16 + 16 + 16 * 10 + 10:N0}", summary.Output, StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run("summary", "--model", Path.Combine(folder.Path, "missing.safetensors")).ExitCode);
    }
}
