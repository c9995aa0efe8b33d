import { DataResource, Fn } from "cdktf";
import { Construct } from "constructs";
import { DataOpenstackImagesImageIdsV2 } from "../../.gen/providers/openstack/data-openstack-images-image-ids-v2";

export interface PinnedImageProps {
  /** The Glance image's name, as configured. */
  readonly imageName: string;
}

/**
 * A Glance image chosen by name once and kept until the configured name changes. Instances take the ID:
 * a change of image rebuilds an instance in place (provider 3.4.0), so it must happen only when the
 * operator asks for it, never because an image of that name was rotated or renamed in Glance. The name
 * is looked up (newest first) at every plan, but its answer is pinned: only a change of the configured
 * name replaces the pin, and with it the ID the instances use.
 */
export class PinnedImage extends Construct {
  /** The pinned image ID (empty when Glance had no image of that name when it was pinned). */
  readonly imageId: string;

  constructor(scope: Construct, id: string, props: PinnedImageProps) {
    super(scope, id);
    const lookup = new DataOpenstackImagesImageIdsV2(this, "lookup", {
      name: props.imageName,
      sort: "created_at:desc",
    });
    const request = new DataResource(this, "request", { input: { name: props.imageName } });
    const pinned = new DataResource(this, "pinned", {
      // The newest image of that name; none found leaves the instance without an image, which Nova refuses.
      input: { id: Fn.element(Fn.concat([lookup.ids, [""]]), 0) },
      lifecycle: { ignoreChanges: ["input"] },
    });
    // Terraform's JSON syntax takes replace_triggered_by as bare references: the "${...}" that cdktf writes
    // for lifecycle.replaceTriggeredBy is refused by `terraform init` ("Invalid character").
    pinned.addOverride("lifecycle.replace_triggered_by", [
      `${request.terraformResourceType}.${request.friendlyUniqueId}`,
    ]);
    this.imageId = pinned.getStringAttribute("output.id");
  }
}
