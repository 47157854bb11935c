using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Docs;

// The hooks section of docs/layers-and-losses.md.
public partial class DocumentationTests
{
    [Fact]
    public void ForwardHooksCollectEveryLayersOutput()
    {
        var model = new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 2));

        var activations = new Dictionary<string, Tensor>();
        foreach (var (name, layer) in model.NamedModules())
            layer.RegisterForwardHook((module, input, output) => { activations[name] = output.Detach(); return null; });

        model.Call(Tensor.Zeros([5, 3]));
        Assert.Equal(["0", "1", "2", ""], activations.Keys);
        Assert.Equal([5, 2], activations[""].Shape.ToArray());
    }
}
