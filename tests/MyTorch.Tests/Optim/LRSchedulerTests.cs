using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>StepLR and CosineAnnealingLR by their closed forms, per group, and their state.</summary>
public class LRSchedulerTests
{
    private static SGD TwoGroups(double first = 0.1, double second = 0.02) => new(
        [new ParameterGroup([Tensor.Zeros([1], requiresGrad: true)], first), new ParameterGroup([Tensor.Zeros([1], requiresGrad: true)], second)],
        learningRate: first);

    [Fact]
    public void StepLRDecaysEveryStepSizeEpochs()
    {
        var sgd = TwoGroups();
        var scheduler = new StepLR(sgd, stepSize: 2, gamma: 0.5);
        double[] expected = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125];
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            if (epoch > 0) scheduler.Step();
            Assert.Equal(epoch, scheduler.LastEpoch);
            Assert.Equal(expected[epoch], sgd.ParamGroups[0].LearningRate, 15);
            Assert.Equal(expected[epoch] / 5, sgd.ParamGroups[1].LearningRate, 15);
        }
        Assert.Equal(0.1, sgd.ParamGroups[0].InitialLearningRate);
    }

    [Fact]
    public void StepLRDefaultsToGammaOneTenth()
    {
        var scheduler = new StepLR(TwoGroups(1, 1), stepSize: 1);
        Assert.Equal(0.1, scheduler.Gamma);
        scheduler.Step();
        scheduler.Step();
        Assert.Equal(0.01, scheduler.LastLearningRates[0], 15);
    }

    [Fact]
    public void CosineAnnealingFollowsHalfACosine()
    {
        var sgd = TwoGroups(0.1, 0.02);
        var scheduler = new CosineAnnealingLR(sgd, tMax: 4, etaMin: 0.01);
        Assert.Equal(0.1, scheduler.LastLearningRates[0], 15);
        scheduler.Step();
        Assert.Equal(0.01 + 0.09 * (1 + Math.Sqrt(0.5)) / 2, scheduler.LastLearningRates[0], 15);
        scheduler.Step();
        Assert.Equal(0.055, scheduler.LastLearningRates[0], 15);       // halfway: the mean of the ends
        Assert.Equal(0.015, scheduler.LastLearningRates[1], 15);
        scheduler.Step();
        scheduler.Step();
        Assert.Equal(0.01, scheduler.LastLearningRates[0], 15);        // tMax: etaMin
        Assert.Equal(0.01, scheduler.LastLearningRates[1], 15);
        for (int i = 0; i < 4; i++) scheduler.Step();
        Assert.Equal(0.1, scheduler.LastLearningRates[0], 15);         // 2 tMax: back at the start, as in PyTorch
    }

    [Fact]
    public void CreatingASchedulerSetsTheEpochZeroRate()
    {
        var sgd = TwoGroups();
        sgd.LearningRate = 0.5;
        _ = new CosineAnnealingLR(sgd, tMax: 10);
        Assert.Equal(0.1, sgd.LearningRate);
        Assert.Equal(0.02, sgd.ParamGroups[1].LearningRate);
    }

    [Fact]
    public void SchedulesAdamToo()
    {
        var w = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var adam = new Adam([w], learningRate: 0.2);
        var scheduler = new StepLR(adam, stepSize: 1, gamma: 0.5);
        w.Grad = Tensor.FromArray(new[] { 3.0 });
        adam.Step();
        scheduler.Step();
        Assert.Equal(0.1, adam.LearningRate, 15);
        Assert.Equal(1 - 0.2, w.Item(), 7);  // Adam's first step moves by lr
    }

    [Fact]
    public void StateDictRestoresTheEpoch()
    {
        var scheduler = new StepLR(TwoGroups(), stepSize: 3, gamma: 0.5);
        for (int i = 0; i < 7; i++) scheduler.Step();
        var saved = scheduler.StateDict();
        Assert.Equal("StepLR", saved.Metadata["scheduler"]);
        Assert.Equal("7", saved.Metadata["last_epoch"]);

        var sgd = TwoGroups();
        var restored = new StepLR(sgd, stepSize: 3, gamma: 0.5);
        restored.LoadStateDict(saved);
        Assert.Equal(7, restored.LastEpoch);
        Assert.Equal(0.025, sgd.ParamGroups[0].LearningRate, 15);
        Assert.Equal(scheduler.LastLearningRates, restored.LastLearningRates);

        var cosine = new CosineAnnealingLR(TwoGroups(), 5);
        var error = Assert.Throws<ArgumentException>(() => cosine.LoadStateDict(saved));
        Assert.Contains("from a StepLR scheduler", error.Message, StringComparison.Ordinal);
        var broken = new StateDict();
        broken.Metadata["last_epoch"] = "-2";
        error = Assert.Throws<ArgumentException>(() => cosine.LoadStateDict(broken));
        Assert.Contains("'last_epoch' is missing or not a non-negative integer: '-2'", error.Message, StringComparison.Ordinal);
    }
}
