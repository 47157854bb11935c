using MyTorch.IO;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Docs;

// The C# block of docs/model-files.md: a PyTorch state dict loaded into a MyTorch model and exported again.
public partial class DocumentationTests
{
    [Fact]
    public void AStateDictFromPyTorchLoadsAndExportsAgain()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mytorch-doc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string[] args = [Path.Combine(folder, "mnist-mlp.pt")];
            File.Copy(Path.Combine(Root, "tests", "reference", "fixtures", "pytorch-files", "mnist-mlp.pt"), args[0]);

            string path = args[0]; // a state dict saved by torch.save(model.state_dict(), path) or as safetensors
            var model = new Sequential(new Linear(784, 16), new ReLU(), new Linear(16, 10));
            PyTorchStateDict.Load(model, PyTorchStateDict.Read(path), path);
            model.Eval();
            Safetensors.Save(Path.ChangeExtension(path, ".safetensors"), PyTorchStateDict.ToPyTorch(model));

            var again = Safetensors.Load(Path.Combine(folder, "mnist-mlp.safetensors"));
            Assert.Equal([16, 784], again["0.weight"].Shape.ToArray());
            Assert.Equal(TorchFile.Load(path)["0.weight"].ToArray<double>(), again["0.weight"].ToArray<double>());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
