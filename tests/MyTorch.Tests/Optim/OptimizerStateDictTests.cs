using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>
/// Resuming from an optimizer's state dict is exact: train 3 steps, snapshot the optimizer and the weights,
/// train 2 more; a fresh optimizer loaded from the snapshot, on the restored weights, ends bit-identical.
/// </summary>
public class OptimizerStateDictTests
{
    /// <summary>A tiny linear regression, loss = mean((X W^T + b - Y)^2), trained with MyTorch's autograd.</summary>
    private sealed class Regression
    {
        private static readonly Tensor X = Tensor.Randn([16, 3], new Generator(7));
        private static readonly Tensor Y = Tensor.Randn([16, 2], new Generator(8));

        public Regression(float[] weight, float[] bias)
        {
            Weight = Tensor.FromArray(weight, [2, 3], requiresGrad: true);
            Bias = Tensor.FromArray(bias, [2], requiresGrad: true);
        }

        public static Regression Initial()
        {
            var generator = new Generator(9);
            return new Regression(Tensor.Randn([2, 3], generator).ToArray(), Tensor.Randn([2], generator).ToArray());
        }

        public Tensor Weight { get; }
        public Tensor Bias { get; }
        public Tensor[] Parameters => [Weight, Bias];

        public Regression Copy() => new(Weight.ToArray(), Bias.ToArray());

        public void Train(Optimizer optimizer, int steps, LRScheduler? scheduler = null)
        {
            for (int i = 0; i < steps; i++)
            {
                optimizer.ZeroGrad();
                (X.MatMul(Weight.T) + Bias - Y).Square().Mean().Backward();
                optimizer.Step();
                scheduler?.Step();
            }
        }
    }

    public static TheoryData<string> Kinds() => ["SGD", "SGD nesterov", "Adam", "Adam amsgrad", "AdamW", "AdamW amsgrad"];

    private static Optimizer Create(string kind, Tensor[] parameters) => kind switch
    {
        "SGD" => new SGD(parameters, learningRate: 0.05, momentum: 0.9, weightDecay: 0.01),
        "SGD nesterov" => new SGD(parameters, learningRate: 0.05, momentum: 0.9, nesterov: true),
        "Adam" => new Adam(parameters, learningRate: 0.05, weightDecay: 0.01),
        "Adam amsgrad" => new Adam(parameters, learningRate: 0.05, beta2: 0.5, amsgrad: true),
        "AdamW" => new AdamW(parameters, learningRate: 0.05),
        "AdamW amsgrad" => new AdamW(parameters, learningRate: 0.05, beta2: 0.5, amsgrad: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResumeFromSnapshotIsBitIdentical(string kind)
    {
        var original = Regression.Initial();
        var optimizer = Create(kind, original.Parameters);
        original.Train(optimizer, 3);
        var saved = optimizer.StateDict().Snapshot();
        var savedWeights = original.Copy();
        original.Train(optimizer, 2);

        var resumed = savedWeights.Copy();
        var fresh = Create(kind, resumed.Parameters);
        fresh.LoadStateDict(saved);
        Assert.Equal(3, fresh.StepCount);
        resumed.Train(fresh, 2);

        Assert.Equal(original.Weight.ToArray(), resumed.Weight.ToArray());
        Assert.Equal(original.Bias.ToArray(), resumed.Bias.ToArray());
        Assert.Equal(5, fresh.StepCount);

        // Without the state the same two steps go elsewhere, so the test above does test the state.
        var cold = savedWeights.Copy();
        cold.Train(Create(kind, cold.Parameters), 2);
        Assert.NotEqual(original.Weight.ToArray(), cold.Weight.ToArray());
    }

    [Fact]
    public void AdamStateDictHoldsMomentsAndStepCounts()
    {
        var model = Regression.Initial();
        var adam = new Adam(model.Parameters, learningRate: 0.01, amsgrad: true);
        model.Train(adam, 3);
        var dict = adam.StateDict();
        foreach (int i in new[] { 0, 1 })
        {
            Assert.Contains($"state.{i}.exp_avg", dict.Keys);
            Assert.Contains($"state.{i}.exp_avg_sq", dict.Keys);
            Assert.Contains($"state.{i}.max_exp_avg_sq", dict.Keys);
            Assert.Equal("3", dict.Metadata[$"state.{i}.step"]);
        }
        Assert.Equal("Adam", dict.Metadata["optimizer"]);
        Assert.Equal("0.9", dict.Metadata["group.0.beta1"]);
        Assert.Equal("0.999", dict.Metadata["group.0.beta2"]);
        Assert.Equal("1", dict.Metadata["group.0.amsgrad"]);
        Assert.Equal(3.0, adam.GetScalarState(model.Weight, "step"));
        Assert.Equal(adam.GetState(model.Weight, "exp_avg")!.ToArray(), dict["state.0.exp_avg"].ToArray());
        Assert.Equal(adam.GetState(model.Bias, "exp_avg_sq")!.ToArray(), dict["state.1.exp_avg_sq"].ToArray());
    }

    [Fact]
    public void ParameterStepCountsAreSeparate()
    {
        // A parameter without a gradient is skipped and its bias correction does not advance, as in PyTorch.
        var a = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var b = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var adam = new Adam([a, b], learningRate: 0.1);
        a.Grad = Tensor.FromArray(new[] { 1.0 });
        adam.Step();
        b.Grad = Tensor.FromArray(new[] { 1.0 });
        adam.Step();
        Assert.Equal(2.0, adam.GetScalarState(a, "step"));
        Assert.Equal(1.0, adam.GetScalarState(b, "step"));
        // A first Adam step moves each weight by lr (times sign of the gradient), whatever the gradient's size.
        Assert.Equal(0.9, b.Item(), 7);
    }

    [Fact]
    public void SchedulerResumesWithTheOptimizer()
    {
        var original = Regression.Initial();
        var optimizer = new Adam(original.Parameters, learningRate: 0.05);
        var scheduler = new CosineAnnealingLR(optimizer, tMax: 4, etaMin: 0.001);
        original.Train(optimizer, 3, scheduler);
        var savedOptimizer = optimizer.StateDict().Snapshot();
        var savedScheduler = scheduler.StateDict().Snapshot();
        var savedWeights = original.Copy();
        original.Train(optimizer, 2, scheduler);

        var resumed = savedWeights.Copy();
        var freshOptimizer = new Adam(resumed.Parameters, learningRate: 0.05);
        var freshScheduler = new CosineAnnealingLR(freshOptimizer, tMax: 4, etaMin: 0.001);
        freshOptimizer.LoadStateDict(savedOptimizer);
        freshScheduler.LoadStateDict(savedScheduler);
        Assert.Equal(3, freshScheduler.LastEpoch);
        Assert.Equal(scheduler.LearningRateAt(0.05, 3), freshOptimizer.LearningRate);
        resumed.Train(freshOptimizer, 2, freshScheduler);

        Assert.Equal(original.Weight.ToArray(), resumed.Weight.ToArray());
        Assert.Equal(original.Bias.ToArray(), resumed.Bias.ToArray());
        Assert.Equal(scheduler.LastLearningRates, freshScheduler.LastLearningRates);
    }

    [Fact]
    public void LoadingAnotherOptimizersStateThrows()
    {
        var model = Regression.Initial();
        var sgd = new SGD(model.Parameters, learningRate: 0.1, momentum: 0.9);
        model.Train(sgd, 1);
        var adam = new Adam(model.Parameters);
        var error = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(sgd.StateDict()));
        Assert.Contains("from a SGD optimizer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadingAMalformedStepCountThrows()
    {
        var model = Regression.Initial();
        var adam = new Adam(model.Parameters);
        model.Train(adam, 1);
        var dict = adam.StateDict().Snapshot();
        dict.Metadata["state.0.step"] = "many";
        var error = Assert.Throws<ArgumentException>(() => new Adam(model.Parameters).LoadStateDict(dict));
        Assert.Contains("state 'state.0.step' is not a number: 'many'", error.Message, StringComparison.Ordinal);
        dict.Metadata.Remove("state.0.step");
        dict.Metadata["state.9.step"] = "1";
        error = Assert.Throws<ArgumentException>(() => new Adam(model.Parameters).LoadStateDict(dict));
        Assert.Contains("unexpected metadata key 'state.9.step'", error.Message, StringComparison.Ordinal);
    }
}
