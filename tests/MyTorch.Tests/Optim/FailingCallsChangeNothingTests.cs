using MyTorch.Data;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>
/// A call that throws leaves every piece of state as it was, bit for bit: optimizer steps (a mismatched gradient
/// of a later parameter must not let earlier ones move), optimizer and scheduler state dicts, schedules whose
/// learning rate would be invalid, and the data loader's generator. (BatchNorm's running statistics:
/// Tests/Seeds/Seed004ComponentTests.)
/// </summary>
public class FailingCallsChangeNothingTests
{
    private static (Tensor First, Tensor Second) Parameters()
    {
        var first = Tensor.FromArray(new[] { 1.0, 2, 3 }, requiresGrad: true);
        var second = Tensor.FromArray(new[] { 4.0, 5 }, requiresGrad: true);
        first.Grad = Tensor.FromArray(new[] { 0.5, -0.5, 1 });
        return (first, second);
    }

    public static TheoryData<string> Optimizers() => ["SGD", "SGD momentum", "Adam", "AdamW"];

    private static Optimizer Make(string name, Tensor[] parameters) => name switch
    {
        "SGD" => new SGD(parameters, 0.1),
        "SGD momentum" => new SGD(parameters, 0.1, momentum: 0.9),
        "Adam" => new Adam(parameters, 0.1),
        _ => new AdamW(parameters, 0.1),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StepWithAMismatchedGradientUpdatesNothing(string name)
    {
        var (first, second) = Parameters();
        var optimizer = Make(name, [first, second]);
        optimizer.Step();
        var firstAfterOneStep = first.ToArray<double>();
        var state = optimizer.StateDict();
        var snapshot = state.Keys.ToDictionary(k => k, k => state[k].ToArray<double>());

        foreach (var bad in new[] { Tensor.FromArray(new[] { 1.0, 1, 1 }), Tensor.FromArray(new[] { 1f, 1f }) })
        {
            second.Grad = bad;
            var error = Assert.Throws<TensorShapeException>(optimizer.Step);
            Assert.StartsWith(optimizer.GetType().Name + ".Step: parameter 1 is (2,) float64 but its gradient is ", error.Message, StringComparison.Ordinal);
            Assert.EndsWith("no parameter was updated.", error.Message, StringComparison.Ordinal);
        }
        Assert.Equal(firstAfterOneStep, first.ToArray<double>());
        Assert.Equal([4.0, 5], second.ToArray<double>());
        Assert.Equal(1, optimizer.StepCount);
        var after = optimizer.StateDict();
        Assert.Equal(state.Metadata, after.Metadata);
        Assert.Equal(snapshot.Keys, after.Keys);
        foreach (var (key, values) in snapshot) Assert.Equal(values, after[key].ToArray<double>());
    }

    [Fact]
    public void OptimizerLoadStateDictWithABadEntryChangesNothing()
    {
        var (first, second) = Parameters();
        var sgd = new SGD([first, second], 0.1, momentum: 0.9);
        sgd.Step();
        var buffer = sgd.MomentumBuffer(first)!.ToArray<double>();
        foreach (var (key, text) in new[] { ("step", "x"), ("group.0.lr", "-1"), ("group.0.lr", "Infinity") })
        {
            var dict = sgd.StateDict();
            dict.Metadata[key] = text;
            dict.Metadata["step"] = key == "step" ? text : "7";
            var error = Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(dict));
            Assert.StartsWith("SGD.LoadStateDict: ", error.Message, StringComparison.Ordinal);
            Assert.Equal(1, sgd.StepCount);
            Assert.Equal(0.1, sgd.LearningRate);
            Assert.Equal(buffer, sgd.MomentumBuffer(first)!.ToArray<double>());
        }
    }

    /// <summary>A schedule that is invalid from epoch 2 on.</summary>
    private sealed class Failing(Optimizer optimizer) : LRScheduler(optimizer)
    {
        public override double LearningRateAt(double initialLearningRate, int epoch) => epoch < 2 ? initialLearningRate / (epoch + 1) : -initialLearningRate;
    }

    [Fact]
    public void SchedulerStepThatWouldSetAnInvalidRateChangesNothing()
    {
        var (first, second) = Parameters();
        var sgd = new SGD([new ParameterGroup([first], 0.1), new ParameterGroup([second], 0.2)], 0.1);
        var scheduler = new Failing(sgd);
        scheduler.Step();
        Assert.Equal([0.05, 0.1], scheduler.LastLearningRates);
        var error = Assert.Throws<InvalidOperationException>(scheduler.Step);
        Assert.Equal("Failing: the learning rate of group 0 at epoch 2 would be -0.1; nothing was changed.", error.Message);
        Assert.Equal(1, scheduler.LastEpoch);
        Assert.Equal([0.05, 0.1], scheduler.LastLearningRates);

        var saved = scheduler.StateDict();
        saved.Metadata["last_epoch"] = "5";
        Assert.Throws<InvalidOperationException>(() => scheduler.LoadStateDict(saved));
        saved.Metadata["last_epoch"] = "-1";
        Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(saved));
        Assert.Equal(1, scheduler.LastEpoch);
        Assert.Equal([0.05, 0.1], scheduler.LastLearningRates);
    }

    [Fact]
    public void DataLoaderDrawsFromItsGeneratorOnlyWhenAnEpochStarts()
    {
        // The loader's only state is its generator: a constructor that throws draws nothing, and an epoch draws once.
        var generator = new Generator(5);
        var before = generator.GetState();
        var data = new TensorDataset(Tensor.Zeros([4, 2]), Tensor.Zeros([4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, 0, shuffle: true, generator: generator));
        Assert.Equal(before, generator.GetState());
        var loader = new DataLoader(data, 3, shuffle: true, generator: generator);
        Assert.Equal(before, generator.GetState());
        Assert.Equal(2, loader.Count());
        var reference = new Generator(5);
        reference.Permutation(4);
        Assert.Equal(reference.GetState(), generator.GetState());
    }

    [Fact]
    public void ClipGradNormThatThrowsScalesNoGradient()
    {
        var (first, second) = Parameters();
        second.Grad = Tensor.FromArray(new[] { double.PositiveInfinity, 1 });
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipGradNorm([first, second], 0.1, errorIfNonfinite: true));
        Assert.Equal([0.5, -0.5, 1], first.Grad!.ToArray<double>());
        Assert.Equal([double.PositiveInfinity, 1], second.Grad.ToArray<double>());
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipGradNorm([first, second], -1));
        Assert.Equal([0.5, -0.5, 1], first.Grad!.ToArray<double>());
    }
}
