using System.Buffers.Binary;
using MyTorch.Data;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// Mnist.LoadSplit reads the training images through its own sink; on the MNIST fuzz inputs it must reject exactly
/// what Mnist.Load rejects, with the same message and offset, and otherwise give Load's rows split by DatasetSplit.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class MnistSplitDifferentialTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "mytorch-split-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void LoadSplit_AgreesWithLoad_OnMutatedDataSets()
    {
        int accepted = 0, rejected = 0;
        foreach (var bundle in ReaderFuzzTargets.MnistInputs(FuzzRunner.Iterations(500), FuzzRunner.Seed + 11))
        {
            WriteBundle(bundle);
            Exception? loadError = null;
            (Tensor TrainImages, Tensor TrainLabels, Tensor TestImages, Tensor TestLabels)? result = null;
            try
            {
                result = Mnist.Load(folder);
            }
            catch (DataFormatException e)
            {
                loadError = e;
            }

            if (result is not { } loaded)
            {
                var error = Assert.Throws<DataFormatException>(() => Mnist.LoadSplit(folder, 0.3, new Generator(5)));
                Assert.Equal(loadError!.Message, error.Message);
                rejected++;
                continue;
            }
            var (train, validation, test) = Mnist.LoadSplit(folder, 0.3, new Generator(5));
            var (expectedTrain, expectedValidation) = DatasetSplit.TrainValidation(
                new TensorDataset(loaded.TrainImages, loaded.TrainLabels), 0.3, new Generator(5));
            Assert.Equal(expectedTrain.Inputs.Shape.ToArray(), train.Inputs.Shape.ToArray());
            Assert.Equal(expectedTrain.Inputs.ToArray(), train.Inputs.ToArray());
            Assert.Equal(expectedTrain.Targets.ToArray<long>(), train.Targets.ToArray<long>());
            Assert.Equal(expectedValidation.Inputs.Shape.ToArray(), validation.Inputs.Shape.ToArray());
            Assert.Equal(expectedValidation.Inputs.ToArray(), validation.Inputs.ToArray());
            Assert.Equal(loaded.TestImages.ToArray(), test.Inputs.ToArray());
            accepted++;
        }
        Assert.True(accepted > 0 && rejected > 0, $"accepted {accepted}, rejected {rejected}: the inputs do not reach both outcomes");
    }

    private void WriteBundle(byte[] bundle)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        int at = 0;
        for (int i = 0; i < 4; i++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(bundle.AsSpan(at));
            var file = bundle.AsSpan(at + 4, length).ToArray();
            at += 4 + length;
            bool gzip = file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B;
            File.WriteAllBytes(Path.Combine(folder, Mnist.FileNames[i] + (gzip ? ".gz" : "")), file);
        }
    }
}
