using System.Text.Json.Nodes;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>Regression reports MAE and RMSE per target in original units, and eval finds a CSV model's data from any folder.</summary>
public class RegressionMetricsTests
{
    [Fact]
    public void Each_target_gets_its_own_errors_and_eval_works_from_another_folder()
    {
        using var folder = new TempFolder();
        // --data as a relative path, as a user types it from the repository root.
        var train = CliRunner.Run("train", "--data", "data/tabular/houses.csv", "--task", "regression", "--target", "price,age",
            "--hidden", "16", "--epochs", "2", "--threads", "1", "--out", folder["run"]);
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("price: MAE ", train.Output, StringComparison.Ordinal);
        Assert.Contains("age: MAE ", train.Output, StringComparison.Ordinal);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(folder["run"], "metrics.json")))!["test"]!["targets"]!;
        double priceMae = metrics["price"]!["mae"]!.GetValue<double>(), ageMae = metrics["age"]!["mae"]!.GetValue<double>();
        double priceRmse = metrics["price"]!["rmse"]!.GetValue<double>(), ageRmse = metrics["age"]!["rmse"]!.GetValue<double>();
        Assert.True(priceRmse >= priceMae && ageRmse >= ageMae, "RMSE is at least MAE");
        Assert.True(priceMae > 10 * ageMae, $"prices and ages have different scales: MAE {priceMae} and {ageMae}");

        Directory.CreateDirectory(folder["elsewhere"]);
        var eval = CliRunner.RunIn(folder["elsewhere"], "eval", "--model", Path.Combine(folder["run"], "model.safetensors"), "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        var node = JsonNode.Parse(eval.Output)!;
        Assert.Equal(priceMae, node["targets"]!["price"]!["mae"]!.GetValue<double>(), 6);
        Assert.Equal(ageRmse, node["targets"]!["age"]!["rmse"]!.GetValue<double>(), 6);
    }

    [Fact]
    public void Eval_says_what_to_pass_when_the_training_data_is_gone()
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(CliRunner.RepositoryRoot, "data", "tabular", "houses.csv"), folder["houses.csv"]);
        var train = CliRunner.RunIn(folder.Path, "train", "--data", "houses.csv", "--task", "regression", "--hidden", "8", "--epochs", "1", "--threads", "1", "--out", "run");
        Assert.True(train.ExitCode == 0, train.Error);
        File.Delete(folder["houses.csv"]);
        var eval = CliRunner.RunIn(folder.Path, "eval", "--model", Path.Combine("run", "model.safetensors"));
        Assert.Equal(2, eval.ExitCode);
        Assert.Contains("trained on --data 'houses.csv'", eval.Error, StringComparison.Ordinal);
        Assert.Contains("pass --data", eval.Error, StringComparison.Ordinal);
    }
}
