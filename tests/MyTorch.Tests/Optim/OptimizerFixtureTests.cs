using System.Globalization;
using System.Text;
using System.Text.Json;
using MyTorch.Optim;
using Xunit;
using Xunit.Abstractions;

namespace MyTorch.Tests.Optim;

/// <summary>
/// Replays fixtures/optim.json: five PyTorch steps of every optimizer variant (with PyTorch's gradients fed in,
/// so only the optimizer is under test), PyTorch's learning-rate schedules, and clip_grad_norm_. Each theory
/// row is one case; the test output reports the largest deviation from PyTorch.
/// </summary>
public class OptimizerFixtureTests(ITestOutputHelper output)
{
    // |mine - torch| <= tolerance * max(|torch|, 1).
    private const double Float32Tolerance = 1e-5;
    private const double Float64Tolerance = 1e-12;
    private const double LearningRateTolerance = 1e-12;

    private static readonly Lazy<Dictionary<string, JsonElement>> Optimizers = new(() => OptimFixtures.Section("optimizers"));
    private static readonly Lazy<Dictionary<string, JsonElement>> Schedulers = new(() => OptimFixtures.Section("schedulers"));
    private static readonly Lazy<Dictionary<string, JsonElement>> Clips = new(() => OptimFixtures.Section("clip_grad_norm"));

    public static TheoryData<string> OptimizerCases() => OptimFixtures.Names("optimizers");
    public static TheoryData<string> SchedulerCases() => OptimFixtures.Names("schedulers");
    public static TheoryData<string> ClipCases() => OptimFixtures.Names("clip_grad_norm");

    private static double Tolerance(DType dtype) => dtype == DType.Float64 ? Float64Tolerance : Float32Tolerance;

    [Fact]
    public void FixturesCoverEveryVariant()
    {
        var names = Optimizers.Value.Keys.ToHashSet();
        string[] required =
        [
            "sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "sgd_momentum_weight_decay", "sgd_groups", "sgd_step_lr",
            "adam_defaults", "adam", "adam_weight_decay", "adam_betas_eps", "adam_amsgrad", "adam_groups", "adam_cosine",
            "adamw_defaults", "adamw", "adamw_amsgrad", "adamw_step_lr",
            "rmsprop_defaults", "rmsprop", "rmsprop_momentum_centered", "adagrad_defaults", "adagrad",
        ];
        var missing = required.SelectMany(r => new[] { r + "_float64", r + "_float32" }).Where(n => !names.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "optim.json lacks: " + string.Join(", ", missing) + ". Regenerate it with tests/reference/generate_optim_fixtures.py.");
        Assert.All(Optimizers.Value.Values, c => Assert.Equal(5, c.GetProperty("steps").GetArrayLength()));
        Assert.Equal(["cosine", "cosine_eta_zero", "step_lr", "step_lr_default_gamma"], Schedulers.Value.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(6, Clips.Value.Count);
    }

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void OptimizerMatchesPyTorch(string name)
    {
        var c = Optimizers.Value[name];
        var dtype = OptimFixtures.DTypeOf(c);
        var parameters = c.GetProperty("initial").EnumerateArray().Select(t => OptimFixtures.ToTensor(t, dtype, requiresGrad: true)).ToArray();
        var optimizer = OptimFixtures.CreateOptimizer(c, parameters);
        var scheduler = OptimFixtures.CreateScheduler(c.GetProperty("scheduler"), optimizer);
        double worst = 0;
        var failures = new StringBuilder();
        int step = 0;
        foreach (var s in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            var expectedLearningRates = s.GetProperty("lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(expectedLearningRates.Length, optimizer.ParamGroups.Count);
            for (int g = 0; g < expectedLearningRates.Length; g++)
                Assert.True(Math.Abs(optimizer.ParamGroups[g].LearningRate - expectedLearningRates[g]) <= LearningRateTolerance * expectedLearningRates[g],
                    $"{name} step {step}: group {g} has learning rate {optimizer.ParamGroups[g].LearningRate}, PyTorch {expectedLearningRates[g]}.");
            var grads = s.GetProperty("grads").EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = OptimFixtures.ToTensor(grads[i], dtype);
            optimizer.Step();
            scheduler?.Step();
            var expected = s.GetProperty("params").EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
            {
                double[] want = OptimFixtures.Data(expected[i]), got = parameters[i].ToArray<double>();
                for (int k = 0; k < want.Length; k++)
                {
                    double deviation = Math.Abs(got[k] - want[k]);
                    worst = Math.Max(worst, deviation);
                    if (deviation > Tolerance(dtype) * Math.Max(Math.Abs(want[k]), 1))
                        failures.Append(CultureInfo.InvariantCulture, $"step {step} parameter {i} element {k}: {got[k]:R} vs PyTorch {want[k]:R}\n");
                }
            }
        }
        output.WriteLine(FormattableString.Invariant($"{name}: max |MyTorch - PyTorch| over 5 steps = {worst:E3}"));
        Assert.True(failures.Length == 0, $"{name} differs from PyTorch (tolerance {Tolerance(dtype)}):\n{failures}");
    }

    [Theory]
    [MemberData(nameof(SchedulerCases))]
    public void SchedulerMatchesPyTorch(string name)
    {
        var c = Schedulers.Value[name];
        var baseRates = c.GetProperty("base_lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var groups = baseRates.Select(lr => new ParameterGroup([Tensor.Zeros([1], requiresGrad: true)], lr)).ToList();
        var optimizer = new SGD(groups, baseRates[0]);
        var scheduler = OptimFixtures.CreateScheduler(c.GetProperty("scheduler"), optimizer)!;
        double worst = 0;
        int epoch = 0;
        foreach (var expected in c.GetProperty("lrs").EnumerateArray())
        {
            if (epoch > 0) scheduler.Step();
            Assert.Equal(epoch, scheduler.LastEpoch);
            var want = expected.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int g = 0; g < want.Length; g++)
            {
                double got = scheduler.LastLearningRates[g], deviation = Math.Abs(got - want[g]);
                worst = Math.Max(worst, deviation);
                Assert.True(deviation <= LearningRateTolerance * Math.Max(want[g], 1e-3),
                    $"{name} epoch {epoch} group {g}: learning rate {got:R}, PyTorch {want[g]:R}.");
            }
            epoch++;
        }
        output.WriteLine(FormattableString.Invariant($"{name}: max |MyTorch - PyTorch| over {epoch} epochs = {worst:E3}"));
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClipGradNormMatchesPyTorch(string name)
    {
        var c = Clips.Value[name];
        var dtype = OptimFixtures.DTypeOf(c);
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var parameters = grads.Select(g =>
        {
            var p = Tensor.Zeros([1], dtype, requiresGrad: true);
            if (g.ValueKind != JsonValueKind.Null) p.Grad = OptimFixtures.ToTensor(g, dtype);
            return p;
        }).ToArray();
        double norm = GradientClipping.ClipGradNorm(parameters, c.GetProperty("max_norm").GetDouble());
        double expectedNorm = c.GetProperty("total_norm").GetDouble(), tolerance = Tolerance(dtype);
        Assert.True(Math.Abs(norm - expectedNorm) <= tolerance * expectedNorm, $"{name}: total norm {norm:R}, PyTorch {expectedNorm:R}.");
        double worst = Math.Abs(norm - expectedNorm);
        var clipped = c.GetProperty("clipped").EnumerateArray().ToArray();
        for (int i = 0; i < parameters.Length; i++)
        {
            if (clipped[i].ValueKind == JsonValueKind.Null)
            {
                Assert.Null(parameters[i].Grad);
                continue;
            }
            double[] want = OptimFixtures.Data(clipped[i]), got = parameters[i].Grad!.ToArray<double>();
            for (int k = 0; k < want.Length; k++)
            {
                worst = Math.Max(worst, Math.Abs(got[k] - want[k]));
                Assert.True(Math.Abs(got[k] - want[k]) <= tolerance * Math.Max(Math.Abs(want[k]), 1),
                    $"{name}: gradient {i} element {k} is {got[k]:R} after clipping, PyTorch {want[k]:R}.");
            }
        }
        output.WriteLine(FormattableString.Invariant($"{name}: max |MyTorch - PyTorch| = {worst:E3}"));
    }
}
