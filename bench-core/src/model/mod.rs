//! Models: an MLP, a LeNet-style CNN, the ConvNet of the dataset-condensation papers,
//! Gal et al.'s CNN, ResNet-18 and VGG-11/16 (batch norm),
//! each sized from the data set's example shape. All are backend-generic burn modules that
//! expose a penultimate embedding and a linear head, so strategies can ask for both.

mod convnet;
mod convnet_grad;
mod dropout;
mod gal_cnn;
mod lenet;
mod mlp;
mod network;
mod resnet;
mod spec;
mod taps;
mod vgg;

pub use convnet::ConvNet;
pub use convnet_grad::ConvNetGradients;
pub use dropout::{consistent_masks, dropout};
pub use gal_cnn::{GalCnn, GAL_DROPOUT};
pub use lenet::LeNet;
pub use mlp::Mlp;
pub use network::Network;
pub use resnet::{ResNet18, ResnetStem};
pub use spec::{ModelKind, ModelSpec, MODEL_KINDS};
pub use taps::Taps;
pub use vgg::{
    vgg_first_padding, vgg_parameter_count, Vgg, VGG11_LAYERS, VGG16_LAYERS, VGG_DROPOUT,
};
