using System.Text.Json;
using MyTorch.Seed;
using Xunit;

namespace MyTorch.Tests.Seeds;

/// <summary>
/// Seed 004 (11-785 HW1P1, "MyTorch"): the hand-written MLP against an independent NumPy implementation of the
/// seed's formulas, fixtures/mlp.json (written by tests/reference/generate_mlp_fixtures.py; its header documents
/// the file format and the conventions: batch-averaged dW/db, softmax - y not divided by the batch, BatchNorm eps
/// 1e-8 with biased running variance and alpha 0.9, dgamma/dbeta as sums, momentum V = beta V - lr dW, W += V,
/// plain steps for gamma/beta). One theory row per configuration of the seed's autograder, plus a few that cover
/// Tanh/ReLU and BatchNorm with momentum. Everything runs in float64.
/// </summary>
public class Seed004MlpTests
{
    // |mine - numpy| <= Rtol * |numpy| + max(AbsoluteFloor, FloorFraction * max |numpy| over the quantity).
    private const double Rtol = 1e-4;
    private const double FloorFraction = 1e-6;
    private const double AbsoluteFloor = 1e-12;
    private const int MaxReportedMismatches = 5;

    /// <summary>The configurations the seed's autograder exercises (a generator change that drops one fails).</summary>
    private static readonly string[] RequiredConfigs =
    [
        "linear_classifier", "single_hidden", "two_hidden", "five_hidden_sigmoid", "mixed_activations",
        "batchnorm_train", "batchnorm_inference", "momentum", "batchnorm_momentum_mixed",
    ];

    private static readonly Lazy<MlpFixture> Fixture = new(MlpFixture.Load);

    public static TheoryData<string> ConfigNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Fixture.Value.Configs.Keys) data.Add(name);
        return data;
    }

    [Fact]
    public void FixturesCoverTheSeedConfigurations()
    {
        var missing = RequiredConfigs.Where(n => !Fixture.Value.Configs.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0,
            "mlp.json has no configuration " + string.Join(", ", missing) + "; regenerate it with tests/reference/generate_mlp_fixtures.py.");
    }

    [Theory]
    [MemberData(nameof(ConfigNames))]
    public void MatchesNumPyReference(string name)
    {
        var fx = Fixture.Value;
        var c = fx.Configs[name];

        if (c.TryGetProperty("forward", out var forward))
        {
            // A fresh network in its default (training) mode; x = train_batches[0].
            var mlp = Build(fx, c, name);
            var output = mlp.Forward(fx.TrainX[0]);
            AssertClose(name, "forward output", forward.GetProperty("output"), output, fullShape: true);
            AssertScalar(name, "forward TotalLoss", forward.GetProperty("loss_sum").GetDouble(), mlp.TotalLoss(fx.TrainY[0]));
            int errors = forward.GetProperty("errors").GetInt32();
            int got = mlp.Error(fx.TrainY[0]);
            Assert.True(got == errors, $"{name}: forward Error: MyTorch {got} misclassified, NumPy {errors}.");

            if (c.TryGetProperty("backward", out var backward))
            {
                mlp.Backward(fx.TrainY[0]);
                int layers = LayerCount(c);
                for (int i = 0; i < layers; i++)
                {
                    AssertClose(name, $"backward dW[{i}]", backward.GetProperty("dW")[i], mlp.LinearLayers[i].DW, fullShape: true);
                    AssertClose(name, $"backward db[{i}]", backward.GetProperty("db")[i], mlp.LinearLayers[i].DB, fullShape: false);
                }
                for (int i = 0; i < BnCount(c); i++)
                {
                    var bn = mlp.BnLayers[i];
                    AssertClose(name, $"backward BatchNorm[{i}] dgamma", backward.GetProperty("dgamma")[i], bn.DGamma, fullShape: false);
                    AssertClose(name, $"backward BatchNorm[{i}] dbeta", backward.GetProperty("dbeta")[i], bn.DBeta, fullShape: false);
                    AssertClose(name, $"BatchNorm[{i}] running mean after one training forward", backward.GetProperty("running_mean")[i], bn.RunningMean, fullShape: false);
                    AssertClose(name, $"BatchNorm[{i}] running var after one training forward", backward.GetProperty("running_var")[i], bn.RunningVar, fullShape: false);
                }
            }
        }

        if (c.TryGetProperty("steps", out var steps))
        {
            // A fresh network; step s trains on train_batches[s]: ZeroGrads, Forward, Backward, Step.
            var mlp = Build(fx, c, name);
            var initial = InitialWeights(fx, c);
            int layers = LayerCount(c);
            int n = steps.GetProperty("n").GetInt32();
            mlp.Train();
            for (int s = 0; s < n; s++)
            {
                mlp.ZeroGrads();
                if (s > 0)
                {
                    for (int i = 0; i < layers; i++)
                    {
                        AssertAllZero(name, $"DW[{i}] after ZeroGrads (step {s})", mlp.LinearLayers[i].DW);
                        AssertAllZero(name, $"DB[{i}] after ZeroGrads (step {s})", mlp.LinearLayers[i].DB);
                    }
                }
                mlp.Forward(fx.TrainX[s]);
                AssertScalar(name, $"TotalLoss of step {s}'s forward", steps.GetProperty("loss_sum")[s].GetDouble(), mlp.TotalLoss(fx.TrainY[s]));
                int errors = steps.GetProperty("errors")[s].GetInt32();
                int got = mlp.Error(fx.TrainY[s]);
                Assert.True(got == errors, $"{name}: Error of step {s}'s forward: MyTorch {got} misclassified, NumPy {errors}.");
                mlp.Backward(fx.TrainY[s]);
                mlp.Step();
            }

            string after = $"after {n} step{(n == 1 ? "" : "s")}";
            for (int i = 0; i < layers; i++)
            {
                var layer = mlp.LinearLayers[i];
                if (steps.TryGetProperty("W_change", out var wChange))
                {
                    // W_after - W_init, a much sharper check than W_after itself at the same relative tolerance.
                    var w = layer.W;
                    AssertShape(name, $"W[{i}] {after}", initial[i].Shape, w);
                    var change = w.ToArray<double>();
                    for (int k = 0; k < change.Length; k++) change[k] -= initial[i].Data[k];
                    AssertClose(name, $"W[{i}] - W_init {after}", wChange[i], change);
                }
                AssertClose(name, $"b[{i}] {after}", steps.GetProperty("b")[i], layer.B, fullShape: false);
                if (steps.TryGetProperty("momentum_W", out var momentumW))
                {
                    AssertClose(name, $"MomentumW[{i}] {after}", momentumW[i], layer.MomentumW, fullShape: true);
                    AssertClose(name, $"MomentumB[{i}] {after}", steps.GetProperty("momentum_b")[i], layer.MomentumB, fullShape: false);
                }
            }
            for (int i = 0; i < BnCount(c); i++)
            {
                var bn = mlp.BnLayers[i];
                AssertClose(name, $"BatchNorm[{i}] gamma {after}", steps.GetProperty("gamma")[i], bn.Gamma, fullShape: false);
                AssertClose(name, $"BatchNorm[{i}] beta {after}", steps.GetProperty("beta")[i], bn.Beta, fullShape: false);
                AssertClose(name, $"BatchNorm[{i}] running mean {after}", steps.GetProperty("running_mean")[i], bn.RunningMean, fullShape: false);
                AssertClose(name, $"BatchNorm[{i}] running var {after}", steps.GetProperty("running_var")[i], bn.RunningVar, fullShape: false);
            }

            if (c.TryGetProperty("eval", out var eval))
            {
                // Inference uses the running statistics and must not update them.
                mlp.Eval();
                int batches = eval.GetProperty("n_batches").GetInt32();
                for (int b = 0; b < batches; b++)
                {
                    var output = mlp.Forward(fx.EvalX[b]);
                    AssertClose(name, $"eval output of eval batch {b}", eval.GetProperty("outputs")[b], output, fullShape: true);
                }
                for (int i = 0; i < BnCount(c); i++)
                {
                    var bn = mlp.BnLayers[i];
                    AssertClose(name, $"BatchNorm[{i}] running mean after eval forwards (must not change)", steps.GetProperty("running_mean")[i], bn.RunningMean, fullShape: false);
                    AssertClose(name, $"BatchNorm[{i}] running var after eval forwards (must not change)", steps.GetProperty("running_var")[i], bn.RunningVar, fullShape: false);
                }
            }
        }
    }

    // ---- building the network -----------------------------------------------------------------------------------

    private static int LayerCount(JsonElement c) => c.GetProperty("hiddens").GetArrayLength() + 1;

    private static int BnCount(JsonElement c) => c.GetProperty("num_bn_layers").GetInt32();

    private sealed record Matrix(int[] Shape, double[] Data);

    private static Matrix[] InitialWeights(MlpFixture fx, JsonElement c)
    {
        var sizes = new List<int> { fx.InputSize };
        sizes.AddRange(c.GetProperty("hiddens").EnumerateArray().Select(e => e.GetInt32()));
        sizes.Add(fx.OutputSize);
        var source = c.TryGetProperty("init_weights_from", out var from) ? fx.Configs[from.GetString()!] : c;
        var q = source.GetProperty("init_weights");
        var result = new Matrix[sizes.Count - 1];
        for (int i = 0; i < result.Length; i++)
        {
            var data = q[i].EnumerateArray().Select(e => e.GetInt64() * fx.WeightScale).ToArray();
            Assert.True(data.Length == sizes[i] * sizes[i + 1], $"init_weights[{i}] has {data.Length} values for a {sizes[i]}x{sizes[i + 1]} layer.");
            result[i] = new Matrix([sizes[i], sizes[i + 1]], data);
        }
        return result;
    }

    private static MLP Build(MlpFixture fx, JsonElement c, string name)
    {
        var hiddens = c.GetProperty("hiddens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var activations = c.GetProperty("activations").EnumerateArray().Select(e => e.GetString() switch
        {
            "Sigmoid" => (Activation)new Sigmoid(),
            "Tanh" => new Tanh(),
            "ReLU" => new ReLU(),
            "Identity" => new Identity(),
            var other => throw new InvalidDataException($"{name}: unknown activation '{other}'."),
        }).ToArray();
        var weights = InitialWeights(fx, c);
        int calls = 0;
        Tensor WeightInit(int fanIn, int fanOut)
        {
            Assert.True(calls < weights.Length, $"{name}: weightInitFn called {calls + 1} times for {weights.Length} linear layers.");
            var w = weights[calls];
            Assert.True(w.Shape[0] == fanIn && w.Shape[1] == fanOut,
                $"{name}: weightInitFn call {calls} asked for ({fanIn}, {fanOut}); linear layer {calls} is ({w.Shape[0]}, {w.Shape[1]}).");
            calls++;
            return Tensor.FromArray((double[])w.Data.Clone(), [fanIn, fanOut]);
        }
        static Tensor BiasInit(int fanOut) => Tensor.FromArray(new double[fanOut], [1, fanOut]);

        var mlp = new MLP(fx.InputSize, fx.OutputSize, hiddens, activations, WeightInit, BiasInit,
            new SoftmaxCrossEntropy(), fx.Lr, c.GetProperty("momentum").GetDouble(), BnCount(c));
        Assert.True(calls == weights.Length, $"{name}: weightInitFn was called {calls} times; the network has {weights.Length} linear layers.");
        return mlp;
    }

    // ---- comparisons ---------------------------------------------------------------------------------------------

    /// <summary>The expected values of a record, expanded to the full tensor when it stores only some rows.</summary>
    private static (int[] Shape, double[] Data) Expected(JsonElement record)
    {
        var shape = record.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var stored = record.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        if (!record.TryGetProperty("rows", out var rowsElement)) return (shape, stored);
        // Only the listed rows are stored; every other row is exactly 0 in the reference.
        int columns = shape[1];
        var full = new double[shape[0] * columns];
        int r = 0;
        foreach (var row in rowsElement.EnumerateArray())
        {
            Array.Copy(stored, r * columns, full, row.GetInt32() * columns, columns);
            r++;
        }
        return (shape, full);
    }

    private static void AssertShape(string config, string quantity, int[] expected, Tensor actual)
    {
        var shape = actual.Shape.ToArray();
        Assert.True(shape.SequenceEqual(expected),
            $"{config}: {quantity} has shape ({string.Join(", ", shape)}), expected ({string.Join(", ", expected)}).");
    }

    private static void AssertClose(string config, string quantity, JsonElement record, Tensor? actual, bool fullShape)
    {
        Assert.True(actual is not null, $"{config}: {quantity} is null.");
        var (shape, _) = Expected(record);
        if (fullShape) AssertShape(config, quantity, shape, actual!);
        Assert.True(actual!.DType == DType.Float64, $"{config}: {quantity} has dtype {actual.DType}; the network was built in float64.");
        AssertClose(config, quantity, record, actual.ToArray<double>());
    }

    private static void AssertClose(string config, string quantity, JsonElement record, double[] actual)
    {
        var (shape, expected) = Expected(record);
        Assert.True(actual.Length == expected.Length,
            $"{config}: {quantity} has {actual.Length} elements, expected {expected.Length} (shape ({string.Join(", ", shape)})).");
        double scale = expected.Length == 0 ? 0 : expected.Max(v => Math.Abs(v));
        double floor = Math.Max(AbsoluteFloor, FloorFraction * scale);
        var mismatches = new List<string>();
        int count = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            double a = actual[k], b = expected[k];
            if (Math.Abs(a - b) <= Rtol * Math.Abs(b) + floor) continue;
            count++;
            if (mismatches.Count < MaxReportedMismatches)
                mismatches.Add($"index {Index(shape, k)}: MyTorch {a:R}, NumPy {b:R}");
        }
        Assert.True(count == 0,
            $"{config}: {quantity}: {count} of {expected.Length} elements differ (tolerance {Rtol:R} relative + {floor:R}, max |NumPy| {scale:R}); "
            + string.Join("; ", mismatches));
    }

    private static void AssertScalar(string config, string quantity, double expected, double actual) =>
        Assert.True(Math.Abs(actual - expected) <= Rtol * Math.Abs(expected) + AbsoluteFloor,
            $"{config}: {quantity}: MyTorch {actual:R}, NumPy {expected:R}.");

    private static void AssertAllZero(string config, string quantity, Tensor? actual)
    {
        Assert.True(actual is not null, $"{config}: {quantity} is null.");
        var values = actual!.ToArray<double>();
        int k = Array.FindIndex(values, v => v != 0);
        Assert.True(k < 0, $"{config}: {quantity}: element {k} is {(k < 0 ? 0 : values[k]):R}, expected 0.");
    }

    private static string Index(int[] shape, int flat)
    {
        if (shape.Length <= 1) return $"[{flat}]";
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "[" + string.Join(", ", index) + "]";
    }

    // ---- the fixture file ----------------------------------------------------------------------------------------

    private sealed class MlpFixture
    {
        public required Dictionary<string, JsonElement> Configs { get; init; }
        public required int InputSize { get; init; }
        public required int OutputSize { get; init; }
        public required double Lr { get; init; }
        public required double WeightScale { get; init; }
        public required Tensor[] TrainX { get; init; }
        public required Tensor[] TrainY { get; init; }
        public required Tensor[] EvalX { get; init; }

        public static MlpFixture Load()
        {
            string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "mlp.json");
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            int inputSize = root.GetProperty("input_size").GetInt32();
            int outputSize = root.GetProperty("output_size").GetInt32();
            double divisor = root.GetProperty("pixel_divisor").GetDouble();
            var active = root.GetProperty("active_pixels").EnumerateArray().Select(e => e.GetInt32()).ToArray();

            // Images: base64 bytes of the active pixels, row-major over (example, active pixel); other pixels are 0.
            Tensor Images(JsonElement batch)
            {
                var bytes = Convert.FromBase64String(batch.GetProperty("pixels").GetString()!);
                if (bytes.Length % active.Length != 0) throw new InvalidDataException($"{path}: a batch has {bytes.Length} pixel bytes.");
                int count = bytes.Length / active.Length;
                var x = new double[count * inputSize];
                for (int i = 0; i < count; i++)
                    for (int p = 0; p < active.Length; p++)
                        x[i * inputSize + active[p]] = bytes[i * active.Length + p] / divisor;
                return Tensor.FromArray(x, [count, inputSize]);
            }

            Tensor OneHot(JsonElement batch)
            {
                var labels = batch.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var y = new double[labels.Length * outputSize];
                for (int i = 0; i < labels.Length; i++) y[i * outputSize + labels[i]] = 1.0;
                return Tensor.FromArray(y, [labels.Length, outputSize]);
            }

            var configs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var element in root.GetProperty("configs").EnumerateArray())
            {
                string name = element.GetProperty("name").GetString()!;
                if (!configs.TryAdd(name, element.Clone()))
                    throw new InvalidDataException($"{path}: configuration '{name}' appears twice.");
            }
            var train = root.GetProperty("train_batches").EnumerateArray().ToArray();
            return new MlpFixture
            {
                Configs = configs,
                InputSize = inputSize,
                OutputSize = outputSize,
                Lr = root.GetProperty("lr").GetDouble(),
                WeightScale = root.GetProperty("weight_scale").GetDouble(),
                TrainX = train.Select(Images).ToArray(),
                TrainY = train.Select(OneHot).ToArray(),
                EvalX = root.GetProperty("eval_batches").EnumerateArray().Select(Images).ToArray(),
            };
        }
    }
}
