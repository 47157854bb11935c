using MyTorch.Cli.Training;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// <c>mytorch train --model</c>: the presets build the networks the docs describe (the parameter counts of their PyTorch
/// equivalents), layer lists build what they say, and every bad token or impossible shape is a one-line error that names it.
/// </summary>
public class ModelSpecTests
{
    private static Sequential Build(string spec, int inputs = 784, int outputs = 10) =>
        ModelSpec.Parse(spec).Build(inputs, outputs, new Generator(1));

    private static string[] Layers(Sequential net) => [.. Enumerable.Range(0, net.Count).Select(i => net[i].GetType().Name)];

    [Fact]
    public void LeNet5_HasTheClassicLayersAndParameterCount()
    {
        var net = Build("lenet5");
        Assert.Equal(["Unflatten", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"],
            Layers(net));
        // 156 + 2,416 + 48,120 + 10,164 + 850, as torch.nn's LeNet-5 with these layers.
        Assert.Equal(61_706, net.ParameterCount());
        Assert.Equal([3, 10], net.Eval().Forward(Tensor.Zeros([3, 784])).Shape.ToArray());
    }

    [Fact]
    public void Cnn_IsTwoConvConvPoolBlocksWithBatchNorm_ThenTheClassifier()
    {
        var net = Build("cnn");
        Assert.Equal(["Unflatten", "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d",
            "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Dropout", "Linear", "ReLU", "Dropout", "Linear"],
            Layers(net));
        // convs 320 + 9,248 + 18,496 + 36,928, BatchNorms 2 * (32 + 32 + 64 + 64), 3136 -> 128 -> 10: 401,536 + 1,290.
        Assert.Equal(320 + 9_248 + 18_496 + 36_928 + 384 + 401_536 + 1_290, net.ParameterCount());
    }

    [Fact]
    public void ALayerList_BuildsItsLayers_WithAFlattenBeforeTheFirstLinearAfterImages()
    {
        var net = Build("conv:4:3:p=1:s=2,tanh,avgpool:2,dropout:0.1,linear");
        Assert.Equal(["Unflatten", "Conv2d", "Tanh", "AvgPool2d", "Dropout", "Flatten", "Linear"], Layers(net));
        var conv = (Conv2d)net[1];
        Assert.Equal([4, 1, 3, 3], conv.Weight.Shape.ToArray());
        // 28 -> 14 (stride 2, padding 1) -> 7 (pool 2): 4 * 7 * 7 features into the output layer.
        Assert.Equal(4 * 7 * 7 * 10 + 10, net[6].ParameterCount());
    }

    [Fact]
    public void AnInputToken_GivesTheImageShape()
    {
        var net = Build("input:3:4:5,conv:2:3:p=same,gap,linear", inputs: 60, outputs: 2);
        Assert.Equal([2, 2], net.Eval().Forward(Tensor.Zeros([2, 60])).Shape.ToArray());
    }

    [Fact]
    public void AnMlpLayerList_NeedsNoImages()
    {
        var net = Build("linear:32,relu,bn,linear", inputs: 7, outputs: 3);
        Assert.Equal(["Linear", "ReLU", "BatchNorm1d", "Linear"], Layers(net));
    }

    [Theory]
    [InlineData("conv:8:3,relu,maxpol:2,linear", "layer 'maxpol:2'", "did you mean 'maxpool'?")]
    [InlineData("conv:8:3,relu", "layer 'relu'", "the last layer must be linear")]
    [InlineData("conv:8,linear", "layer 'conv:8'", "expected conv:OUT:K")]
    [InlineData("conv:8:3:q=1,linear", "unknown option 'q='", "allowed: s=, p=, d=, g=")]
    [InlineData("conv:8:3:s=0,linear", "'s=0' needs a positive whole number")]
    [InlineData("conv:-8:3,linear", "'-8' is not a positive whole number")]
    [InlineData("dropout:1.5,linear", "dropout:P with P in [0, 1)")]
    [InlineData("linear,linear", "linear needs its size")]
    [InlineData("relu,input:1:28:28,linear", "input:C:H:W can only be the first layer")]
    public void BadTokens_AreNamedInOneLine(string spec, params string[] fragments)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelSpec.Parse(spec));
        Assert.StartsWith("Invalid value '", error.Message);
        Assert.Contains("for option --model", error.Message);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ImpossibleShapes_FailBeforeTraining_WithTheShapesLayerByLayer()
    {
        var error = Assert.Throws<ArgumentException>(() => Build("conv:8:5,maxpool:2,conv:8:5,maxpool:2,conv:8:5,linear"));
        Assert.Contains("conv:8:5 does not take (8, 4, 4)", error.Message);
        Assert.Contains("the smallest input size that works is (5, 5)", error.Message);
        Assert.Contains("shapes so far: input (784) -> images (1, 28, 28) -> conv:8:5 (8, 24, 24) -> maxpool:2 (8, 12, 12) -> conv:8:5 (8, 8, 8) -> maxpool:2 (8, 4, 4)",
            error.Message);

        error = Assert.Throws<ArgumentException>(() => Build("conv:2:3,linear", inputs: 10));
        Assert.Contains("10 features are not a square image; start the spec with input:C:H:W", error.Message);
        error = Assert.Throws<ArgumentException>(() => Build("input:2:3:3,conv:2:3,linear", inputs: 10));
        Assert.Contains("input:2:3:3 holds 18 values, the data has 10 features", error.Message);
        error = Assert.Throws<ArgumentException>(() => Build("linear:4,maxpool:2,linear", inputs: 16));
        Assert.Contains("maxpool:2 needs images (C, H, W), it gets features (4)", error.Message);
    }

    [Fact]
    public void HugeNetworks_AreRefusedBeforeAnythingIsAllocated()
    {
        var error = Assert.Throws<ArgumentException>(() => Build("linear:1000000,linear"));
        Assert.Contains("linear:1000000 would bring the network to 785,000,000 parameters; at most 268,435,456 are allowed", error.Message);
        error = Assert.Throws<ArgumentException>(() => Build("conv:1000000:3,linear"));
        Assert.Contains("conv:1000000:3 would give about 784,000,000 values per example; at most 16,777,216 are allowed", error.Message);
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("cnn")]
    [InlineData("conv:8:3:s=2:p=1,avgpool:3:s=2,bn,gap,linear:7,relu,linear")]
    [InlineData("linear:32,bn,relu,linear")]
    public void TheParameterCountFromTheShapes_IsTheBuiltNetworks(string spec)
    {
        Assert.Equal(Build(spec).ParameterCount(), ModelSpec.Parse(spec).ParameterCount(784, 10));
    }

    [Fact]
    public void TheCommand_TrainsEvaluatesAndPredictsAConvModel()
    {
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--model", "conv:4:5,relu,maxpool:4,linear", "--epochs", "1", "--out", folder.Path, "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("model: conv:4:5,relu,maxpool:4,linear", train.Error);
        string model = Path.Combine(folder.Path, "model.safetensors");
        var eval = CliRunner.Run("eval", "--model", model);
        Assert.True(eval.ExitCode == 0, eval.Error);
        var predict = CliRunner.Run("predict", "--model", model, "--input", Path.Combine(CliRunner.RepositoryRoot, "data", "mnist-10k", "t10k-images-idx3-ubyte.gz"));
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.Equal(2001, predict.Output.Trim().Split('\n').Length);
    }

    [Fact]
    public void TheCommand_RejectsABadSpecBeforeAnyWork()
    {
        var result = CliRunner.Run("train", "--model", "conv:4:3,relu,linaer");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("layer 'linaer'", result.Error);
        Assert.Contains("did you mean 'linear'?", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }
}
