using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MyTorch.Cli.Commands;
using MyTorch.Cli.Training;
using MyTorch.IO;
using MyTorch.NN;
using MyTorch.Tests.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace MyTorch.Cli.Tests;

/// <summary>
/// Valid model and checkpoint files from tiny real runs (classification with Adam and BatchNorm, regression with
/// min-max scaling and a bounded output, binary classification), and the two ways the CLI reads them: loading a
/// model for eval/predict, and resuming training (then one more epoch, to use what was read).
/// </summary>
public sealed class CheckpointFuzzFixture : IDisposable
{
    private readonly TempFolder folder = new();

    public CheckpointFuzzFixture()
    {
        var random = new Random(3);
        var text = new StringBuilder("a,b,c,d,label,y1,y2\n");
        for (int i = 0; i < 48; i++)
        {
            double a = random.NextDouble(), b = random.NextDouble() * 10, c = random.NextDouble() - 0.5, d = random.Next(5);
            text.Append(CultureInfo.InvariantCulture, $"{a},{b},{c},{d},{(a + c > 0.5 ? 1 : 0) + (d > 2 ? 1 : 0)},{a * 3 + b},{b - d}\n");
        }
        string csv = folder["data.csv"];
        File.WriteAllText(csv, text.ToString());

        var classification = new TrainConfig
        {
            Data = csv, Target = ["label"], Hidden = [6], BatchNorm = 1, Dropout = 0.1, Optimizer = "adam", Epochs = 1, BatchSize = 16, Seed = 1,
        }.Validate();
        var regression = new TrainConfig
        {
            Data = csv, Task = "regression", Target = ["y1", "y2"], Hidden = [5, 4], TargetScaling = "minmax", OutputActivation = "range:0,20",
            Epochs = 1, BatchSize = 16, Seed = 2,
        }.Validate();
        var binary = new TrainConfig
        {
            Data = csv, Target = ["label"], Hidden = [3], Loss = "bce", Normalize = "none", Activation = "tanh", Epochs = 1, BatchSize = 16, Seed = 3,
        }.Validate();
        // Labels 0..2 do not suit bce; a second file with 0/1 labels does.
        string binaryCsv = folder["binary.csv"];
        File.WriteAllText(binaryCsv, text.ToString().Replace(",2,", ",1,", StringComparison.Ordinal));
        binary = binary with { Data = binaryCsv };

        ClassificationData = DataPreparation.Prepare(classification);
        RegressionData = DataPreparation.Prepare(regression);
        foreach (var (name, config) in new[] { ("classification", classification), ("regression", regression), ("binary", binary) })
        {
            var data = DataPreparation.Prepare(config);
            var trainer = Trainer.Create(config, data, folder[name]);
            trainer.Run(new SilentReporter());
            string model = Path.Combine(folder[name], "model.safetensors");
            Safetensors.Save(model, Checkpoint.ModelFile(trainer.Model, config, data));
            Models.Add(File.ReadAllBytes(model));
            Checkpoints.Add(File.ReadAllBytes(Path.Combine(folder[name], "checkpoint.safetensors")));
        }
        ResumeFolder = folder["resumed"];
    }

    public PreparedData ClassificationData { get; }
    public PreparedData RegressionData { get; }
    public List<byte[]> Models { get; } = [];
    public List<byte[]> Checkpoints { get; } = [];
    public string ResumeFolder { get; }

    /// <summary>Loads a model as eval and predict do, then runs it on one example as predict would.</summary>
    internal static FuzzTarget ModelTarget => new()
    {
        Name = "model",
        Extension = ".safetensors",
        AllocationFloor = 32L << 20,
        Read = path =>
        {
            var loaded = LoadedModel.Load(path);
            using (Autograd.NoGrad())
            {
                var outputs = loaded.Model.Forward(loaded.Normalizer.Transform(Tensor.Zeros([1, loaded.Inputs])));
                if (loaded.TargetScaler is { } scaler) scaler.InverseTransform(outputs);
            }
        },
    };

    /// <summary>Resumes training from a checkpoint as --resume does, and trains up to one more epoch.</summary>
    internal FuzzTarget CheckpointTarget => new()
    {
        Name = "checkpoint",
        Extension = ".safetensors",
        AllocationFloor = 64L << 20,
        IsDocumented = e => e is DataFormatException or NonFiniteLossException,
        Read = path =>
        {
            var trainer = Trainer.Resume(path, null, ResumeFolder, config => config.IsRegression ? RegressionData : ClassificationData);
            // Cap the work: one epoch past what the checkpoint has done, whatever its configuration says.
            trainer = Trainer.Resume(path, trainer.History.Epochs.Count + 1, ResumeFolder, config => config.IsRegression ? RegressionData : ClassificationData);
            trainer.Run(new SilentReporter());
        },
    };

    public void Dispose() => folder.Dispose();

    internal sealed class SilentReporter : ITrainingReporter
    {
        public void Start(TrainConfig config, PreparedData data, Module model, int epochsDone) { }
        public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond) { }
        public void Epoch(EpochRecord record) { }
        public void Finish() { }
    }
}

/// <summary>
/// Mutations that know the MyTorch file layout: metadata values (the configuration and history JSON, the generator
/// state, input and class counts, transform settings) edited as JSON or text, tensors dropped, renamed, reshaped,
/// retyped or filled with NaN; the file is then written as valid safetensors, so the edits reach the CLI's checks.
/// Some inputs are byte-level mutations of the whole file instead.
/// </summary>
internal static class CheckpointMutations
{
    private static readonly string[] JsonValues =
    [
        "null", "-1", "0", "1", "2147483647", "2147483648", "1e308", "-1e308", "0.5", "\"\"", "\"x\"", "\"NaN\"", "[]", "{}", "true",
        "[0]", "[-1]", "[1000000000]", "[100000,100000]", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[null]", "[\"a\"]",
        "[{\"epoch\":1}]", "{\"a\":1}", "\"range:1,0\"", "\"range:0,1e400\"", "\"regression\"", "\"classification\"", "\"minmax\"", "\"bce\"",
        "\"sgd\"", "\"adamw\"", "\"cosine\"", "\"mnist\"", "[16]", "[3,3]", "2", "3", "16",
    ];

    public static IEnumerable<byte[]> Inputs(List<byte[]> seeds, int count, int seed)
    {
        var mutator = new Mutator(seed);
        var parsed = seeds.Select(Parse).ToList();
        for (int n = 0; n < count; n++)
        {
            int pick = mutator.Next(seeds.Count);
            if (mutator.Chance(0.25))
            {
                yield return mutator.Mutate(seeds[pick], seeds[mutator.Next(seeds.Count)]);
                continue;
            }
            var dict = parsed[pick].Snapshot();
            int edits = 1 + mutator.Next(3);
            for (int e = 0; e < edits; e++) Edit(mutator, dict);
            var bytes = Serialize(dict);
            yield return mutator.Chance(0.1) ? mutator.Mutate(bytes) : bytes;
        }
    }

    private static void Edit(Mutator mutator, StateDict dict)
    {
        var keys = dict.Metadata.Keys.Order(StringComparer.Ordinal).ToList();
        var tensorKeys = dict.Keys.ToList();
        switch (mutator.Next(10))
        {
            case 0:
            case 1:
                EditJson(mutator, dict, "config");
                break;
            case 2:
                EditJson(mutator, dict, mutator.Pick(new[] { "history", "feature_names", "target_names", "config" }));
                break;
            case 3 when keys.Count > 0:
                {
                    string key = mutator.Pick(keys);
                    dict.Metadata[key] = mutator.Chance(0.5) ? mutator.MutateText(dict.Metadata[key]) : mutator.Pick(Mutator.InterestingNumbers);
                    break;
                }
            case 4 when keys.Count > 0:
                dict.Metadata.Remove(mutator.Pick(keys));
                break;
            case 5 when tensorKeys.Count > 0:
                dict.Remove(mutator.Pick(tensorKeys));
                break;
            case 6 when tensorKeys.Count > 0:
                {
                    string key = mutator.Pick(tensorKeys);
                    var tensor = dict[key];
                    dict.Remove(key);
                    string renamed = mutator.Chance(0.5) ? mutator.MutateText(key) : mutator.Pick(tensorKeys) + "x";
                    if (renamed != Safetensors.MetadataKey && !dict.ContainsKey(renamed)) dict.Add(renamed, tensor);
                    break;
                }
            case 7 when tensorKeys.Count > 0:
                {
                    string key = mutator.Pick(tensorKeys);
                    dict[key] = Reshaped(mutator, dict[key]);
                    break;
                }
            case 8:
                {
                    string key = mutator.Pick(new[] { "0.weight", "extra", "input_normalizer.mean", "target_scaler.min", "optimizer.state.0.exp_avg", "9.bias" });
                    if (!dict.ContainsKey(key)) dict.Add(key, Reshaped(mutator, Tensor.Zeros([2, 3])));
                    break;
                }
            default:
                {
                    string key = mutator.Pick(new[] { "inputs", "classes", "epoch", "generator", "input_normalizer.normalizer", "input_normalizer.divisor",
                        "input_normalizer.per_feature", "target_scaler.scaler", "optimizer.step", "optimizer.group.0.lr", "optimizer.optimizer", "format" });
                    dict.Metadata[key] = mutator.Chance(0.7) ? mutator.Pick(Mutator.InterestingNumbers) : mutator.Pick(new[]
                    {
                        "scale", "standardize", "true", "false", "minmax", "standard", "none", "SGD", "Adam", "0,0,0,0,0,0,0", "1,2,3,4,5,6,7",
                        "1,2,3,4,5,6", ",,,,,,", "18446744073709551616,1,1,1,1,1,1", "mytorch/1", "mytorch/2",
                    });
                    break;
                }
        }
    }

    /// <summary>Sets one property (or array element) of a JSON metadata value to an interesting JSON value.</summary>
    private static void EditJson(Mutator mutator, StateDict dict, string key)
    {
        if (!dict.Metadata.TryGetValue(key, out var json)) return;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return;
        }
        var value = mutator.Pick(JsonValues);
        switch (root)
        {
            case JsonObject obj when obj.Count > 0:
                obj[obj.ElementAt(mutator.Next(obj.Count)).Key] = JsonNode.Parse(value);
                break;
            case JsonArray array when array.Count > 0:
                int index = mutator.Next(array.Count);
                if (array[index] is JsonObject element && element.Count > 0 && mutator.Chance(0.7))
                    element[element.ElementAt(mutator.Next(element.Count)).Key] = JsonNode.Parse(value);
                else
                    array[index] = JsonNode.Parse(value);
                break;
            default:
                root = JsonNode.Parse(value);
                break;
        }
        dict.Metadata[key] = root?.ToJsonString() ?? "null";
    }

    /// <summary>The tensor with another shape, dtype or values.</summary>
    private static Tensor Reshaped(Mutator mutator, Tensor tensor)
    {
        int count = tensor.Count;
        return mutator.Next(6) switch
        {
            0 => Tensor.Zeros([count + 1]),
            1 => Tensor.Zeros(tensor.Shape.ToArray().Reverse().ToArray(), tensor.DType),
            2 => tensor.To(tensor.DType == DType.Float32 ? DType.Float64 : DType.Float32),
            3 => Tensor.Full(tensor.Shape.ToArray(), mutator.Pick(new[] { double.NaN, double.PositiveInfinity, -1, 0, 1e30 }), tensor.DType),
            4 => Tensor.Zeros([count, 1], tensor.DType),
            _ => tensor.To(DType.Int64),
        };
    }

    private static StateDict Parse(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), "mytorch-fuzz-seed-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllBytes(path, bytes);
            return Safetensors.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Serialize(StateDict dict)
    {
        string path = Path.Combine(Path.GetTempPath(), "mytorch-fuzz-seed-" + Guid.NewGuid().ToString("N"));
        try
        {
            Safetensors.Save(path, dict);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>
/// Fuzzes the CLI's reading of model and checkpoint files (configuration, history, generator, normalizer and scaler
/// state, tensor names, dtypes and shapes): only <see cref="DataFormatException"/> may escape, within bounded time
/// and memory; resuming may also stop on a non-finite loss, which the CLI reports with exit code 3.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class CheckpointFuzzTests(CheckpointFuzzFixture fixture, ITestOutputHelper output) : IClassFixture<CheckpointFuzzFixture>
{
    private void Check(FuzzTarget target, IEnumerable<byte[]> inputs)
    {
        var report = FuzzRunner.Run(target, inputs);
        output.WriteLine(report.ToString());
        Assert.True(report.Failures.Count == 0, FuzzRunner.Describe(report));
        Assert.True(report.Accepted > 0 && report.Rejected > 0, report.ToString());
    }

    [Fact]
    public void ModelFiles() =>
        Check(CheckpointFuzzFixture.ModelTarget, CheckpointMutations.Inputs(fixture.Models, FuzzRunner.Iterations(2000), FuzzRunner.Seed + 6));

    [Fact]
    public void CheckpointFiles() =>
        Check(fixture.CheckpointTarget, CheckpointMutations.Inputs(fixture.Checkpoints, FuzzRunner.Iterations(1500), FuzzRunner.Seed + 7));

    [Fact]
    public void KeptFailingModelAndCheckpointFiles_AreRejectedCleanly()
    {
        foreach (var target in new[] { CheckpointFuzzFixture.ModelTarget, fixture.CheckpointTarget })
        {
            var (replayed, problems) = FuzzRunner.Replay(target);
            output.WriteLine($"{target.Name}: replayed {replayed} kept inputs");
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }

    [Fact]
    public void TheSeedFilesLoadAndResume()
    {
        string path = Path.Combine(Path.GetTempPath(), "mytorch-fuzz-seed-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            foreach (var (target, seeds) in new[] { (CheckpointFuzzFixture.ModelTarget, fixture.Models), (fixture.CheckpointTarget, fixture.Checkpoints) })
                foreach (var seed in seeds)
                    Assert.Equal((FuzzOutcome.Accepted, (string?)null), FuzzRunner.RunOne(target, seed, path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
