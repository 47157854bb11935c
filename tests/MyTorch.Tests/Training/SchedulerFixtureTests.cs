using System.Text.Json;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.TrainingLoop;

/// <summary>
/// Replays tests/reference/fixtures/schedulers.json (tests/reference/generate_scheduler_fixtures.py, PyTorch 1.13):
/// every learning rate (and momentum) of ReduceLROnPlateau and OneCycleLR, epoch by epoch or step by step.
/// </summary>
public class SchedulerFixtureTests
{
    private static readonly JsonElement Fixtures = Load();

    private static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "schedulers.json")));
        return document.RootElement.Clone();
    }

    private static JsonElement.ArrayEnumerator Cases(string kind) => Fixtures.GetProperty(kind).EnumerateArray();

    public static TheoryData<string> PlateauNames => new(Cases("reduce_lr_on_plateau").Select(c => c.GetProperty("name").GetString()!));

    public static TheoryData<string> OneCycleNames => new(Cases("one_cycle").Select(c => c.GetProperty("name").GetString()!));

    private static JsonElement Case(string kind, string name) => Cases(kind).Single(c => c.GetProperty("name").GetString() == name);

    private static double Get(JsonElement kwargs, string key, double fallback) => kwargs.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Theory]
    [MemberData(nameof(PlateauNames))]
    public void ReduceLROnPlateauMatchesPyTorch(string name)
    {
        var c = Case("reduce_lr_on_plateau", name);
        var k = c.GetProperty("kwargs");
        var optimizer = new SGD([Tensor.Zeros([2], requiresGrad: true)], c.GetProperty("lr").GetDouble(), momentum: 0.9);
        var plateau = new ReduceLROnPlateau(optimizer,
            mode: k.TryGetProperty("mode", out var mode) && mode.GetString() == "max" ? MonitorMode.Max : MonitorMode.Min,
            factor: Get(k, "factor", 0.1), patience: (int)Get(k, "patience", 10), threshold: Get(k, "threshold", 1e-4),
            thresholdMode: k.TryGetProperty("threshold_mode", out var tm) && tm.GetString() == "abs" ? ThresholdMode.Absolute : ThresholdMode.Relative,
            cooldown: (int)Get(k, "cooldown", 0), minLearningRate: Get(k, "min_lr", 0), eps: Get(k, "eps", 1e-8));
        var metrics = c.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var expected = c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int epoch = 0; epoch < metrics.Length; epoch++)
        {
            plateau.Step(metrics[epoch]);
            AssertClose(expected[epoch], optimizer.LearningRate, $"{name}, epoch {epoch + 1}");
        }
    }

    [Theory]
    [MemberData(nameof(OneCycleNames))]
    public void OneCycleLRMatchesPyTorch(string name)
    {
        var c = Case("one_cycle", name);
        var k = c.GetProperty("kwargs");
        var parameters = new[] { Tensor.Zeros([2], requiresGrad: true) };
        bool adam = c.GetProperty("optimizer").GetString() == "adam";
        Optimizer optimizer = adam ? new Adam(parameters, 0.5) : new SGD(parameters, 0.5, momentum: 0.9);
        var schedule = new OneCycleLR(optimizer, k.GetProperty("max_lr").GetDouble(),
            totalSteps: k.TryGetProperty("total_steps", out var t) ? t.GetInt32() : null,
            epochs: k.TryGetProperty("epochs", out var e) ? e.GetInt32() : null,
            stepsPerEpoch: k.TryGetProperty("steps_per_epoch", out var s) ? s.GetInt32() : null,
            pctStart: Get(k, "pct_start", 0.3),
            annealStrategy: k.TryGetProperty("anneal_strategy", out var a) && a.GetString() == "linear" ? AnnealStrategy.Linear : AnnealStrategy.Cosine,
            cycleMomentum: !k.TryGetProperty("cycle_momentum", out var cm) || cm.GetBoolean(),
            baseMomentum: Get(k, "base_momentum", 0.85), maxMomentum: Get(k, "max_momentum", 0.95),
            divFactor: Get(k, "div_factor", 25), finalDivFactor: Get(k, "final_div_factor", 1e4),
            threePhase: k.TryGetProperty("three_phase", out var tp) && tp.GetBoolean());
        var lrs = c.GetProperty("lrs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var momenta = c.GetProperty("momenta").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        string key = adam ? "beta1" : "momentum";
        for (int step = 0; step < lrs.Length; step++)
        {
            AssertClose(lrs[step], optimizer.LearningRate, $"{name}, lr at step {step}");
            AssertClose(momenta[step], optimizer.ParamGroups[0].Options[key], $"{name}, momentum at step {step}");
            if (step < lrs.Length - 1) schedule.Step();
        }
    }

    [Fact]
    public void OneCycleLRSteppedPastItsTotalThrowsAndChangesNothing()
    {
        var optimizer = new SGD([Tensor.Zeros([1], requiresGrad: true)], 0.1, momentum: 0.9);
        var schedule = new OneCycleLR(optimizer, 0.1, totalSteps: 3);
        schedule.Step();
        schedule.Step();
        schedule.Step(); // step 3 == total: allowed, as in PyTorch
        double lr = optimizer.LearningRate;
        var error = Assert.Throws<InvalidOperationException>(schedule.Step);
        Assert.Contains("total steps is 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(lr, optimizer.LearningRate);
    }

    [Fact]
    public void OneCycleLRRefusesAnOptimizerWithoutMomentumUnlessToldNotToCycleIt()
    {
        var parameters = new[] { Tensor.Zeros([1], requiresGrad: true) };
        Assert.Throws<ArgumentException>(() => new OneCycleLR(new Adagrad(parameters, 0.1), 0.1, totalSteps: 10));
        var schedule = new OneCycleLR(new Adagrad(parameters, 0.1), 0.1, totalSteps: 10, cycleMomentum: false);
        Assert.Equal(0.1 / 25, schedule.Optimizer.LearningRate, 15);
    }

    [Fact]
    public void ReduceLROnPlateauRejectsAFactorOfOneOrMore()
    {
        var optimizer = new SGD([Tensor.Zeros([1], requiresGrad: true)], 0.1);
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(optimizer, factor: 1));
    }
}
