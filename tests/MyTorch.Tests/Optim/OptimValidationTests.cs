using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>Constructors reject bad hyper-parameters with a message naming the optimizer, the argument and its value.</summary>
public class OptimValidationTests
{
    private static Tensor[] Parameters() => [Tensor.Zeros([2], requiresGrad: true)];

    private static void AssertRejects(Func<object> create, string parameterName, string message)
    {
        var error = Assert.Throws<ArgumentException>(create);
        Assert.Equal(parameterName, error.ParamName);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdamUsesPyTorchsDefaults()
    {
        var adam = new Adam(Parameters());
        var options = adam.ParamGroups[0].Options;
        Assert.Equal(1e-3, adam.LearningRate);
        Assert.Equal(0.9, options["beta1"]);
        Assert.Equal(0.999, options["beta2"]);
        Assert.Equal(1e-8, options["eps"]);
        Assert.Equal(0, options["weight_decay"]);
        Assert.False(adam.ParamGroups[0].Flag("amsgrad"));
        var adamW = new AdamW(Parameters());
        Assert.Equal(1e-3, adamW.LearningRate);
        Assert.Equal(1e-2, adamW.ParamGroups[0].Options["weight_decay"]);
        Assert.Equal(1e-8, adamW.ParamGroups[0].Options["eps"]);
    }

    [Theory]
    [InlineData(0.0, "invalid learning rate: 0 (must be positive and finite)")]
    [InlineData(-1.0, "invalid learning rate: -1 (must be positive and finite)")]
    [InlineData(double.NaN, "invalid learning rate: NaN")]
    [InlineData(double.PositiveInfinity, "invalid learning rate: Infinity")]
    public void RejectsLearningRate(double learningRate, string message)
    {
        AssertRejects(() => new Adam(Parameters(), learningRate), "learningRate", "Adam: " + message);
        AssertRejects(() => new AdamW(Parameters(), learningRate), "learningRate", "AdamW: " + message);
        AssertRejects(() => new SGD(Parameters(), learningRate), "learningRate", "SGD: " + message);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void RejectsBetasOutsideZeroToOne(double beta)
    {
        string value = beta.ToString(System.Globalization.CultureInfo.InvariantCulture);
        AssertRejects(() => new Adam(Parameters(), beta1: beta), "beta1", $"Adam: invalid beta1: {value} (must be in [0, 1))");
        AssertRejects(() => new Adam(Parameters(), beta2: beta), "beta2", $"Adam: invalid beta2: {value} (must be in [0, 1))");
        AssertRejects(() => new AdamW(Parameters(), beta1: beta), "beta1", $"AdamW: invalid beta1: {value} (must be in [0, 1))");
        AssertRejects(() => new AdamW(Parameters(), beta2: beta), "beta2", $"AdamW: invalid beta2: {value} (must be in [0, 1))");
    }

    [Fact]
    public void AcceptsBoundaryValues()
    {
        _ = new Adam(Parameters(), beta1: 0, beta2: 0, eps: 0, weightDecay: 0);
        _ = new AdamW(Parameters(), beta1: 0.999999, eps: 0, weightDecay: 0);
    }

    [Fact]
    public void RejectsNegativeEpsAndWeightDecay()
    {
        AssertRejects(() => new Adam(Parameters(), eps: -1e-8), "eps", "Adam: invalid eps: -1E-08 (must be non-negative and finite)");
        AssertRejects(() => new Adam(Parameters(), weightDecay: -0.5), "weightDecay", "Adam: invalid weight decay: -0.5 (must be non-negative and finite)");
        AssertRejects(() => new AdamW(Parameters(), weightDecay: -1), "weightDecay", "AdamW: invalid weight decay: -1 (must be non-negative and finite)");
        AssertRejects(() => new AdamW(Parameters(), eps: double.NaN), "eps", "AdamW: invalid eps: NaN");
    }

    [Fact]
    public void ChecksOptionsThatAGroupOverrides()
    {
        var group = new ParameterGroup(Parameters(), options: new Dictionary<string, double> { ["beta1"] = 2 });
        AssertRejects(() => new Adam([group]), "beta1", "Adam: invalid beta1: 2 (must be in [0, 1))");
        var slow = new ParameterGroup(Parameters(), learningRate: -0.1);
        AssertRejects(() => new AdamW([slow]), "learningRate", "AdamW: invalid learning rate: -0.1");
    }

    [Fact]
    public void SgdRejectsBadMomentumAndWeightDecay()
    {
        AssertRejects(() => new SGD(Parameters(), 0.1, momentum: 1), "momentum", "SGD: invalid momentum: 1 (must be in [0, 1))");
        AssertRejects(() => new SGD(Parameters(), 0.1, weightDecay: -1), "weightDecay", "SGD: invalid weight decay: -1");
        AssertRejects(() => new SGD(Parameters(), 0.1, nesterov: true), "nesterov", "SGD: Nesterov momentum needs a momentum above 0");
    }

    [Fact]
    public void RejectsEmptyOrNonLeafParameters()
    {
        AssertRejects(() => new Adam(Array.Empty<Tensor>()), "parameterGroups", "Adam: the optimizer got an empty parameter list");
        var leaf = Tensor.Zeros([2], requiresGrad: true);
        AssertRejects(() => new AdamW([leaf * 2]), "parameterGroups", "AdamW: can only optimize leaf tensors that require grad");
        AssertRejects(() => new Adam([Tensor.Zeros([2])]), "parameterGroups", "Adam: can only optimize leaf tensors that require grad");
    }

    [Fact]
    public void SchedulersRejectBadArguments()
    {
        var sgd = new SGD(Parameters(), 0.1);
        AssertRejects(() => new StepLR(sgd, 0), "stepSize", "StepLR: invalid step size: 0 (must be positive)");
        AssertRejects(() => new StepLR(sgd, 2, gamma: -0.5), "gamma", "StepLR: invalid gamma: -0.5 (must be positive and finite)");
        AssertRejects(() => new CosineAnnealingLR(sgd, -3), "tMax", "CosineAnnealingLR: invalid tMax: -3 (must be positive)");
        AssertRejects(() => new CosineAnnealingLR(sgd, 5, etaMin: -1), "etaMin", "CosineAnnealingLR: invalid etaMin: -1 (must be non-negative and finite)");
        Assert.Throws<ArgumentNullException>(() => new StepLR(null!, 1));
    }

    [Fact]
    public void ClipGradNormRejectsNegativeMaxNorm()
    {
        var p = Tensor.Zeros([2], requiresGrad: true);
        AssertRejects(() => GradientClipping.ClipGradNorm([p], -1), "maxNorm", "ClipGradNorm: invalid max norm: -1 (must be non-negative)");
        AssertRejects(() => GradientClipping.ClipGradNorm([p], double.NaN), "maxNorm", "ClipGradNorm: invalid max norm: NaN");
    }
}
